"""Session pages in a real browser: phases, the clinical barrier in the DOM and on the wire, screenshots."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from atendo.clients.models import Client
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_create
from atendo.therapies.models import TherapyType
from tests.factories import unsealed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_page(page):
    """Seven engineers share two cores: allow slow pages rather than fail on a busy machine."""
    page.set_default_timeout(25_000)


SECRET_NOTE = "Secret-note-7731: grief after the divorce"
SECRET_FIELD = "Secret-field-4410: nightmares"


def _book(member, client, starts_at: str, minutes: int = 60, **extra):
    return session_create(
        member=member,
        client_id=client.pk,
        name=extra.pop("name", "Sessão"),
        starts_at=starts_at,
        duration_minutes=minutes,
        **extra,
    ).session


def test_record_the_during_and_post_phases(page, login, owner, workspace):
    FieldDefinition.objects.create(
        workspace=workspace,
        scope="session",
        phase="during",
        key="mood",
        label="Mood",
        type="select",
        required=True,
        options=[{"value": "calm", "label": "Calm"}, {"value": "anxious", "label": "Anxious"}],
    )
    FieldDefinition.objects.create(
        workspace=workspace, scope="session", phase="post", key="homework", label="Homework", type="textarea"
    )
    client = Client.objects.create(workspace=workspace, name="Carla Cliente")
    session = _book(owner, client, "2026-03-10T10:00", name="Terapia", status="in_progress")
    login(page, owner)
    page.goto(f"/w/serena/sessions/{session.pk}/")
    # An in-progress session opens on the "during" tab.
    assert page.get_by_role("tab", name="During the session").get_attribute("aria-selected") == "true"
    panel = page.locator("#panel-during")
    panel.get_by_role("button", name=re.compile("Save")).click()
    page.locator("#panel-during .field-error, #panel-during [role=alert]").first.wait_for()
    assert unsealed(session, "during_fields") == {}
    page.locator("#panel-during").get_by_label("Mood").select_option("calm")
    page.locator("#panel-during").get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_url(re.compile(r"phase=during"))
    page.get_by_role("tab", name="Post-session").click()
    post = page.locator("#panel-post")
    post.get_by_label("Homework").fill("Breathing exercise, twice a day")
    post.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_url(re.compile(r"phase=post"))
    assert unsealed(session, "during_fields") == {"mood": "calm"}
    assert unsealed(session, "post_fields") == {"homework": "Breathing exercise, twice a day"}
    # Then it is completed from the page, and the record page is one click away.
    page.get_by_role("button", name="Complete").click()
    page.locator("#session-status", has_text="Completed").wait_for()
    record = page.get_by_role("link", name="Record session")
    assert record.get_attribute("href").endswith(f"/sessions/{session.pk}/record/")
    assert page.js_errors == []


def test_the_assistant_sees_no_notes_anywhere(page, live_server, login, owner, assistant, workspace):
    FieldDefinition.objects.create(
        workspace=workspace, scope="session", phase="pre", key="complaint", label="Complaint", type="text"
    )
    client = Client.objects.create(workspace=workspace, name="Davi Cliente")
    session = _book(
        owner,
        client,
        "2026-03-10T10:00",
        name="Psicoterapia",
        notes=SECRET_NOTE,
        fields={"pre": {"complaint": SECRET_FIELD}},
        admin_notes="Pays by PIX",
    )
    bodies: list[str] = []

    def keep(response) -> None:
        if response.request.resource_type in ("document", "fetch", "xhr"):
            with contextlib.suppress(Exception):  # redirects carry no body
                bodies.append(response.text())

    login(page, assistant)
    page.on("response", keep)
    page.goto("/w/serena/sessions/?view=week&date=2026-03-09")
    page.locator(f".fc-event[data-session-id='{session.pk}']").wait_for()
    assert SECRET_NOTE not in page.content()
    page.goto("/w/serena/sessions/list/")
    page.get_by_text("Psicoterapia").wait_for()
    page.goto(f"/w/serena/sessions/{session.pk}/")
    page.get_by_text("Pays by PIX").wait_for()
    detail = page.content()
    assert "Session notes" not in detail and "Complaint" not in detail
    page.goto(f"/w/serena/sessions/{session.pk}/edit/")
    assert page.locator("textarea[name=notes]").count() == 0
    page.goto(f"/w/serena/sessions/new/?date=2026-03-10&start_time=10:00&client={client.pk}")
    page.locator("#live-warnings [data-code='overlap']").wait_for()
    # The session opened (the calendar's events carry no clinical part, withheld or not: its JSON does).
    opened = page.goto(f"/api/v1/workspaces/serena/sessions/{session.pk}")
    bodies.append(opened.text())
    assert len(bodies) >= 6
    for body in bodies:
        assert SECRET_NOTE not in body
        assert SECRET_FIELD not in body
    assert any('"withheld"' in body and '"notes"' in body for body in bodies)
    # The owner, for contrast, reads both (in a browser context of their own).
    context = page.context.browser.new_context(base_url=live_server.url)
    try:
        owner_page = context.new_page()
        login(owner_page, owner)
        owner_page.goto(f"/w/serena/sessions/{session.pk}/?phase=pre")
        assert SECRET_NOTE in owner_page.content()
    finally:
        context.close()


def _showcase(workspace, owner, therapist) -> dict:
    """A realistic week for the screenshots: therapy types, clients, every status, a recorded session."""
    owner.user.name = "Olivia Owner"
    owner.user.save(update_fields=["name"])
    types = {
        name: TherapyType.objects.create(
            workspace=workspace, name=name, color=color, default_duration_minutes=60
        )
        for name, color in [
            ("Psicoterapia", "#2f6fb3"),
            ("Reiki", "#7a5af8"),
            ("Constelação Familiar", "#c4320a"),
            ("Access Bars", "#0e9384"),
        ]
    }
    names = [
        "Ana Souza",
        "Bruno Lima",
        "Carla Dias",
        "Davi Rocha",
        "Elisa Prado",
        "Fábio Nunes",
        "Gabi Torres",
    ]
    clients = [Client.objects.create(workspace=workspace, name=n) for n in names]
    FieldDefinition.objects.create(
        workspace=workspace,
        scope="session",
        phase="pre",
        key="modality",
        label="Modality",
        type="select",
        options=[{"value": "online", "label": "Online"}, {"value": "office", "label": "Office"}],
        filterable=True,
        clinical=False,
    )
    FieldDefinition.objects.create(
        workspace=workspace,
        scope="session",
        phase="pre",
        key="reason",
        label="Reason for coming",
        type="text",
    )
    plan = [
        ("2026-03-09T09:00", 60, "Psicoterapia", 0, owner, "completed"),
        ("2026-03-09T10:30", 50, "Reiki", 1, therapist, "completed"),
        ("2026-03-09T14:00", 90, "Constelação Familiar", 2, owner, "completed"),
        ("2026-03-10T09:00", 60, "Psicoterapia", 3, owner, "cancelled"),
        ("2026-03-10T11:00", 45, "Access Bars", 4, therapist, "scheduled"),
        ("2026-03-10T15:00", 60, "Psicoterapia", 5, owner, "scheduled"),
        ("2026-03-11T09:30", 60, "Reiki", 6, therapist, "in_progress"),
        ("2026-03-11T13:00", 60, "Psicoterapia", 0, owner, "scheduled"),
        ("2026-03-11T16:00", 60, "Access Bars", 1, owner, "scheduled"),
        ("2026-03-12T10:00", 60, "Psicoterapia", 2, owner, "scheduled"),
        ("2026-03-12T10:00", 50, "Reiki", 3, therapist, "scheduled"),
        ("2026-03-12T17:00", 60, "Constelação Familiar", 4, owner, "scheduled"),
        ("2026-03-13T08:00", 60, "Psicoterapia", 5, owner, "scheduled"),
        ("2026-03-13T14:00", 60, "Access Bars", 6, therapist, "scheduled"),
    ]
    sessions = []
    for start, minutes, kind, who, practitioner, status in plan:
        sessions.append(
            _book(
                owner,
                clients[who],
                start,
                minutes,
                name=kind,
                therapy_type_id=types[kind].pk,
                practitioner_id=practitioner.pk,
                status=status,
                fields={"pre": {"modality": "online" if who % 2 else "office", "reason": "Anxiety at work"}},
                notes="Talked about the new job; sleeping better." if status == "completed" else "",
                admin_notes="Pays monthly." if who == 0 else "",
            )
        )
    recorded = [s.pk for s in sessions if s.status == "completed"]
    Session.objects.filter(pk__in=recorded).update(recorded_at=timezone.now(), actual_duration_minutes=55)
    # A second month of lighter traffic for the month view.
    for day in range(16, 32):
        date = dt.date(2026, 3, day)
        if date.weekday() >= 5:
            continue
        for hour, who in ((9, day % 7), (11, (day + 2) % 7), (15, (day + 4) % 7)):
            kind = list(types)[(day + hour) % 4]
            _book(
                owner,
                clients[who],
                f"{date}T{hour:02d}:00",
                name=kind,
                therapy_type_id=types[kind].pk,
                practitioner_id=(owner if hour != 11 else therapist).pk,
            )
    return {"sessions": sessions, "clients": clients}


def test_screenshots_of_the_main_views(page, login, owner, therapist, workspace, shot):
    data = _showcase(workspace, owner, therapist)
    login(page, owner)
    page.goto("/w/serena/sessions/?view=week&date=2026-03-09")
    page.wait_for_selector("#calendar[aria-busy='false']")
    page.locator(".fc-event").first.wait_for()
    page.evaluate(
        "document.querySelector('.fc-scroller-liquid-absolute, .fc-timegrid-body')?.scrollIntoView()"
    )
    page.evaluate("window.atendoCalendar.scrollToTime('08:00')")
    shot(page, "calendar-week")
    # Booking from an empty slot: Thursday 12 at 09:00, next to two sessions at 10:00.
    column = page.locator("td.fc-timegrid-col[data-date='2026-03-12']").bounding_box()
    lane = page.locator("td.fc-timegrid-slot-lane[data-time='09:00:00']").bounding_box()
    page.mouse.click(column["x"] + column["width"] / 2, lane["y"] + lane["height"] / 2)
    dialog = page.locator("#create-dialog")
    dialog.wait_for()
    dialog.locator("#qc-client").select_option(label="Carla Dias")
    dialog.get_by_label("Duration (minutes)").fill("90")
    dialog.get_by_label("Duration (minutes)").dispatch_event("change")
    dialog.locator("[data-warnings] [data-code='overlap']").wait_for()
    shot(page, "calendar-booking")
    dialog.get_by_role("button", name="Cancel").click()
    page.goto("/w/serena/sessions/?view=month&date=2026-03-09")
    page.wait_for_selector("#calendar[aria-busy='false']")
    page.locator(".fc-daygrid-event").first.wait_for()
    shot(page, "calendar-month")
    page.goto("/w/serena/sessions/list/?sort=starts_at")
    page.locator(".sessions-table tbody tr").first.wait_for()
    shot(page, "sessions-list")
    recorded = data["sessions"][0]
    page.goto(f"/w/serena/sessions/{recorded.pk}/")
    page.wait_for_load_state("networkidle")
    shot(page, "session-detail")
    page.goto("/w/serena/sessions/new/?date=2026-03-12&start_time=10:00&client=" + str(data["clients"][2].pk))
    page.locator("#live-warnings [data-code]").first.wait_for()
    shot(page, "session-form")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/w/serena/sessions/?view=week&date=2026-03-09")
    page.wait_for_selector("#calendar[aria-busy='false']")
    page.locator(".fc-event").first.wait_for()
    shot(page, "calendar-tablet")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.context.add_cookies([{"name": "django_language", "value": "pt-br", "url": page.url}])
    page.goto("/w/serena/sessions/?view=week&date=2026-03-09")
    page.wait_for_selector("#calendar[aria-busy='false']")
    page.locator(".fc-event").first.wait_for()
    assert page.locator(".fc-today-button").inner_text() == "Hoje"
    shot(page, "calendar-week-pt-br")
    assert page.js_errors == []


def test_list_filters_pages_and_downloads_csv(page, login, owner, therapist, workspace):
    ana = Client.objects.create(workspace=workspace, name="Ana Lista")
    bia = Client.objects.create(workspace=workspace, name="Bia Lista")
    for day in range(1, 28):
        _book(owner, ana, f"2026-02-{day:02d}T09:00", name=f"Ana {day:02d}")
        _book(owner, bia, f"2026-02-{day:02d}T11:00", name=f"Bia {day:02d}", practitioner_id=therapist.pk)
    login(page, owner)
    page.goto("/w/serena/sessions/list/?sort=starts_at")
    rows = page.locator(".sessions-table tbody tr")
    assert rows.count() == 50
    page.get_by_label("Client").select_option(label="Bia Lista")
    page.wait_for_url(re.compile(r"client="))
    page.wait_for_function("() => document.querySelectorAll('.sessions-table tbody tr').length === 27")
    assert "Ana 01" not in page.locator(".sessions-table").inner_text()
    # Sort by name descending, through the column header.
    page.get_by_role("link", name=re.compile("^Name")).click()
    page.wait_for_url(re.compile(r"sort=name"))
    page.get_by_role("link", name=re.compile("^Name")).click()
    page.wait_for_url(re.compile(r"sort=-name"))
    assert rows.first.inner_text().count("Bia 27") == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert text.count("\n") == 28  # header + 27 sessions of Bia
    assert "Ana 01" not in text
    # Paging without a filter: 54 sessions -> a second page of 4.
    page.goto("/w/serena/sessions/list/?sort=starts_at")
    page.get_by_role("link", name=re.compile("Next page")).click()
    page.wait_for_url(re.compile(r"cursor="))
    page.wait_for_function("() => document.querySelectorAll('.sessions-table tbody tr').length === 4")
    assert page.js_errors == []


def test_the_client_page_sessions_tab_lists_them_in_order(page, login, owner, workspace):
    client = Client.objects.create(workspace=workspace, name="Helena Tab")
    later = _book(owner, client, "2026-03-20T10:00", name="Second visit")
    _book(owner, client, "2026-03-06T10:00", name="First visit")
    login(page, owner)
    page.goto(f"/w/serena/clients/{client.pk}/?tab=sessions")
    table = page.locator("#client-sessions")
    table.wait_for()
    text = table.inner_text()
    assert text.index("First visit") < text.index("Second visit")
    table.locator(f"a[href$='/sessions/{later.pk}/']").click()
    page.wait_for_url(re.compile(rf"/sessions/{later.pk}/$"))
    assert page.js_errors == []


def test_the_client_picker_searches_as_you_type(page, login, owner, workspace):
    Client.objects.bulk_create(
        [Client(workspace=workspace, name=n) for n in ("Iara Mendes", "Joana Prado", "Kaio Mendes")]
    )
    login(page, owner)
    page.goto("/w/serena/sessions/new/?date=2026-03-10&start_time=10:00")
    picker = page.locator("#id_client")
    assert picker.locator("option").count() == 4  # "Choose a client…" and the three
    page.get_by_label("Search clients by name").fill("mendes")
    page.wait_for_function("() => document.querySelectorAll('#id_client option').length === 3")
    assert "Joana" not in picker.inner_text()
    picker.select_option(label="Kaio Mendes")
    page.get_by_role("button", name="Create session").click()
    page.wait_for_url(re.compile(r"/sessions/\d+/$"))
    assert Session.objects.get().client.name == "Kaio Mendes"
