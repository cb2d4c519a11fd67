"""The calendar in a real browser: create from a slot, warnings, drag to move, filters, a busy month."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from atendo.clients.models import Client
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_page(page):
    """Seven engineers share two cores: allow slow pages rather than fail on a busy machine."""
    page.set_default_timeout(25_000)


WEEK = "/w/serena/sessions/?view=week&date=2026-03-09"  # Monday 9 – Sunday 15 March 2026


def _slot_point(page, date: str, time: str) -> tuple[float, float]:
    """The middle of the empty slot `date` `time` (HH:MM:SS) of the week view."""
    column = page.locator(f"td.fc-timegrid-col[data-date='{date}']").bounding_box()
    lane = page.locator(f"td.fc-timegrid-slot-lane[data-time='{time}']").bounding_box()
    return column["x"] + column["width"] / 2, lane["y"] + lane["height"] / 2


def _event(page, session_id: int):
    return page.locator(f".fc-event[data-session-id='{session_id}']")


def _book(owner, client, starts_at: str, minutes: int = 60, **extra):
    return session_create(
        member=owner,
        client_id=client.pk,
        name=extra.pop("name", "Sessão"),
        starts_at=starts_at,
        duration_minutes=minutes,
        **extra,
    ).session


def _wait_calendar(page) -> None:
    page.wait_for_selector("#calendar[aria-busy='false']")


@pytest.fixture
def ana(workspace):
    return Client.objects.create(workspace=workspace, name="Ana Cliente")


def test_week_view_shows_sessions_in_the_workspace_zone(page, login, owner, ana):
    session = _book(owner, ana, "2026-03-10T10:00", name="Morning")
    _book(owner, ana, "2026-03-11T16:00", name="Cancelled one", status="cancelled")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    event = _event(page, session.pk)
    event.wait_for()
    assert "10:00" in event.inner_text()
    assert event.get_attribute("href").endswith(f"/sessions/{session.pk}/")
    assert page.locator(".fc-event.ev-status-cancelled").count() == 1
    assert page.js_errors == []


def test_times_are_the_workspace_s_whatever_the_browser_zone(browser, live_server, login, owner, ana):
    # The browser runs in Tokyo; the practice is in São Paulo: 10:00 there is 10:00 on the calendar.
    session = _book(owner, ana, "2026-03-10T10:00", name="Morning")
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo", locale="en-US")
    try:
        pg = context.new_page()
        login(pg, owner)
        pg.goto(WEEK)
        event = _event(pg, session.pk)
        event.wait_for()
        assert "10:00 - 11:00" in event.inner_text() or "10:00–11:00" in event.inner_text()
        column = pg.locator("td.fc-timegrid-col[data-date='2026-03-10']").bounding_box()
        box = event.bounding_box()
        assert column["x"] <= box["x"] <= column["x"] + column["width"]
    finally:
        context.close()


def test_create_a_session_from_an_empty_slot(page, login, owner, ana):
    _book(owner, ana, "2026-03-11T14:00", name="Just after")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    x, y = _slot_point(page, "2026-03-11", "13:30:00")
    page.mouse.click(x, y)
    dialog = page.locator("#create-dialog")
    dialog.wait_for()
    assert dialog.get_by_label("Date").input_value() == "2026-03-11"
    assert dialog.get_by_label("Start time").input_value() == "13:30"
    assert dialog.get_by_label("Duration (minutes)").input_value() == "60"
    dialog.locator("#qc-client").select_option(label="Ana Cliente")
    # The overlap with the 14:00 session shows before anything is saved.
    dialog.locator("[data-warnings] [data-code='overlap']").wait_for()
    assert not Session.objects.filter(name="Avaliação inicial").exists()
    dialog.get_by_label("Name").fill("Avaliação inicial")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/sessions")
    ) as created:
        dialog.get_by_role("button", name="Create session").click()
    assert created.value.status == 201
    session = Session.objects.get(name="Avaliação inicial")
    local = session.starts_at.astimezone(session.workspace.tz)
    assert (local.date(), local.hour, local.minute) == (dt.date(2026, 3, 11), 13, 30)
    _event(page, session.pk).wait_for()
    assert "booked" in page.locator("#calendar-status").inner_text()
    assert page.js_errors == []


def test_the_booking_dialog_names_missing_fields_and_opens_the_full_form(page, login, owner, ana):
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    x, y = _slot_point(page, "2026-03-12", "10:00:00")
    page.mouse.click(x, y)
    dialog = page.locator("#create-dialog")
    dialog.wait_for()
    dialog.get_by_role("button", name="Create session").click()
    dialog.locator("#qc-client[aria-invalid='true']").wait_for()
    assert Session.objects.count() == 0
    dialog.locator("#qc-client").select_option(label="Ana Cliente")
    dialog.get_by_role("link", name="More options…").click()
    page.wait_for_url(re.compile(r"/sessions/new/"))
    assert page.get_by_label("Date", exact=True).input_value() == "2026-03-12"
    assert page.get_by_label("Start time").input_value() == "10:00"
    assert page.locator("#id_client").input_value() == str(ana.pk)
    page.get_by_role("button", name="Create session").click()
    page.wait_for_url(re.compile(r"/sessions/\?"))
    assert Session.objects.filter(client=ana).count() == 1


OVERLAP_WITH_FIXED = (
    "Overlaps another session of the same client or practitioner: "
    "Ana Cliente, 10:00–11:00 with owner@serena.test."
)


def test_the_form_warns_about_an_overlap_while_typing(page, login, owner, ana):
    existing = _book(owner, ana, "2026-03-10T10:00", name="Existing")
    login(page, owner)
    page.goto(f"/w/serena/sessions/new/?date=2026-03-10&start_time=08:00&client={ana.pk}")
    warnings = page.locator("#live-warnings")
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Start time").dispatch_event("change")
    warnings.locator("[data-code='overlap']").wait_for()
    # The conflict is named (client, time, practitioner) and linked.
    assert OVERLAP_WITH_FIXED in warnings.inner_text()
    assert (
        warnings.locator(f"a[data-session-id='{existing.pk}']")
        .get_attribute("href")
        .endswith(f"/sessions/{existing.pk}/")
    )
    page.get_by_label("Start time").fill("11:00")
    page.get_by_label("Start time").dispatch_event("change")
    warnings.locator("[data-code='overlap']").wait_for(state="detached")


def _drag(page, source, date: str, time: str) -> None:
    """Drag `source` by its top so that it starts at `date` `time` (HH:MM:SS) of the week view.

    The pointer keeps its place within the event: grabbed 8px below the event's top, it is
    dropped 8px below the target slot's top. (FullCalendar reads a drag from the middle of the
    grabbed slot, so aiming at the target slot's middle lands on its bottom edge, a rounding
    away from the next slot.)
    """
    box = source.bounding_box()
    grab = 8
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + grab)
    page.mouse.down()
    column = page.locator(f"td.fc-timegrid-col[data-date='{date}']").bounding_box()
    lane = page.locator(f"td.fc-timegrid-slot-lane[data-time='{time}']").bounding_box()
    x, y = column["x"] + column["width"] / 2, lane["y"] + grab
    page.mouse.move(x, y - 4, steps=12)
    page.mouse.move(x, y, steps=4)
    page.mouse.up()


def test_drag_to_reschedule(page, login, owner, ana):
    session = _book(owner, ana, "2026-03-10T10:00", name="Movable")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    event = _event(page, session.pk)
    event.wait_for()
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/sessions/" in r.url) as patch:
        _drag(page, event, "2026-03-12", "13:00:00")
    assert patch.value.status == 200
    page.locator("#calendar-status").wait_for()
    session.refresh_from_db()
    local = session.starts_at.astimezone(session.workspace.tz)
    assert (local.date(), local.hour, local.minute) == (dt.date(2026, 3, 12), 13, 0)
    assert session.duration_minutes == 60
    assert "moved" in page.locator("#calendar-status").inner_text()
    assert page.js_errors == []


def test_an_overlap_is_shown_before_the_move_and_can_be_refused(page, login, owner, ana):
    fixed = _book(owner, ana, "2026-03-10T10:00", name="Fixed")
    movable = _book(owner, ana, "2026-03-10T13:00", name="Movable")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    event = _event(page, movable.pk)
    event.wait_for()
    _drag(page, event, "2026-03-10", "10:30:00")
    dialog = page.locator("#change-dialog")
    dialog.wait_for()
    assert "2026-03-10 10:30–11:30" in dialog.inner_text()
    assert OVERLAP_WITH_FIXED in dialog.inner_text()
    assert dialog.locator(f"[data-code='overlap'] a[data-session-id='{fixed.pk}']").count() == 1
    page.get_by_role("button", name="Keep it where it was").click()
    page.wait_for_function(
        "id => { const e = window.atendoCalendar.getEventById(String(id)); "
        "return e && e.start.toISOString().startsWith('2026-03-10T13:00'); }",
        arg=movable.pk,
    )
    movable.refresh_from_db()
    assert movable.starts_at.astimezone(movable.workspace.tz).hour == 13
    assert "Nothing changed" in page.locator("#calendar-status").inner_text()


def test_an_overlapping_move_is_saved_once_confirmed(page, login, owner, ana):
    _book(owner, ana, "2026-03-10T10:00", name="Fixed")
    movable = _book(owner, ana, "2026-03-10T13:00", name="Movable")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    event = _event(page, movable.pk)
    event.wait_for()
    _drag(page, event, "2026-03-10", "10:30:00")
    page.locator("#change-dialog").wait_for()
    with page.expect_response(lambda r: r.request.method == "PATCH") as patch:
        page.get_by_role("button", name="Save anyway").click()
    assert patch.value.status == 200
    movable.refresh_from_db()
    assert movable.starts_at.astimezone(movable.workspace.tz).strftime("%H:%M") == "10:30"
    status = page.locator("#calendar-status.warn")
    status.wait_for()
    assert "Overlaps" in status.inner_text()


def test_a_refused_move_is_put_back_with_the_reason(page, login, owner, ana, workspace):
    workspace.prevent_double_booking = True
    workspace.save()
    _book(owner, ana, "2026-03-10T10:00", name="Fixed")
    movable = _book(owner, ana, "2026-03-10T13:00", name="Movable")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    _drag(page, _event(page, movable.pk), "2026-03-10", "10:30:00")
    page.locator("#change-dialog").wait_for()
    with page.expect_response(lambda r: r.request.method == "PATCH") as patch:
        page.get_by_role("button", name="Save anyway").click()
    assert patch.value.status == 409
    status = page.locator("#calendar-status.error")
    status.wait_for()
    assert "refused" in status.inner_text()
    page.wait_for_function(
        "id => window.atendoCalendar.getEventById(String(id))"
        ".start.toISOString().startsWith('2026-03-10T13:00')",
        arg=movable.pk,
    )
    movable.refresh_from_db()
    assert movable.starts_at.astimezone(movable.workspace.tz).hour == 13


def test_filter_by_a_custom_field_is_kept_in_the_url(page, login, owner, ana, workspace):
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
    online = _book(owner, ana, "2026-03-10T10:00", name="Video call", fields={"pre": {"modality": "online"}})
    office = _book(owner, ana, "2026-03-11T10:00", name="In person", fields={"pre": {"modality": "office"}})
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    _event(page, office.pk).wait_for()
    with page.expect_response(lambda r: "field.modality=online" in r.url):
        page.get_by_label("Modality").select_option("online")
    _event(page, office.pk).wait_for(state="detached")
    assert _event(page, online.pk).is_visible()
    assert "field.modality=online" in page.url
    # The filtered view is bookmarkable: reloading keeps the filter.
    page.reload()
    _wait_calendar(page)
    _event(page, online.pk).wait_for()
    assert _event(page, office.pk).count() == 0
    assert page.get_by_label("Modality").input_value() == "online"


def test_month_view_of_a_busy_workspace(page, login, owner, workspace, shot):
    clients = Client.objects.bulk_create(
        [Client(workspace=workspace, name=f"Cliente {i:02d}") for i in range(30)]
    )
    tz = workspace.tz
    rows = []
    for i in range(400):
        day = dt.date(2026, 3, 1) + dt.timedelta(days=i % 31)
        start = dt.datetime.combine(day, dt.time(8 + (i // 31) % 10, 0), tzinfo=tz)
        rows.append(
            Session(
                workspace=workspace,
                name=f"Busy {i}",
                client=clients[i % 30],
                practitioner=owner,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=50),
                duration_minutes=50,
                status=["scheduled", "completed", "cancelled", "in_progress"][i % 4],
            )
        )
    Session.objects.bulk_create(rows)
    login(page, owner)
    with page.expect_response(lambda r: "/api/v1/workspaces/serena/calendar?" in r.url) as loaded:
        page.goto("/w/serena/sessions/?view=month&date=2026-03-15")
    # The month grid's answer: five events a day, and the server's count of the rest.
    body = json.loads(loaded.value.body())
    assert "per_day=5" in loaded.value.url
    assert len(body["events"]) == 5 * 31
    assert sum(m["more"] for m in body["more"]) == 400 - 5 * 31
    _wait_calendar(page)
    page.locator(".fc-event.ev-more").first.wait_for()
    assert page.locator(".fc-event.ev-more").count() == 31
    day = page.locator("td.fc-daygrid-day[data-date='2026-03-02']")
    assert day.locator(".fc-event[data-session-id]").count() == 5
    assert day.locator(".fc-event.ev-more").inner_text().strip() == "+8 more"
    assert page.js_errors == []
    shot(page, "calendar-month-busy")


def test_more_opens_the_day_and_a_session_its_details(page, login, owner, therapist, workspace, shot):
    """The month of everyone: a day with twelve sessions of two practitioners shows five and
    "+7 more", which opens the day with all twelve; a session opens on its page, whole."""
    clients = Client.objects.bulk_create(
        [Client(workspace=workspace, name=f"Cliente {i:02d}") for i in range(12)]
    )
    tz = workspace.tz
    rows = []
    for i in range(12):
        start = dt.datetime(2026, 3, 10, 8 + i, 0, tzinfo=tz)
        rows.append(
            Session(
                workspace=workspace,
                name="Acolhimento",
                client=clients[i],
                practitioner=owner if i % 2 else therapist,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=50),
                duration_minutes=50,
                admin_notes="Sala 2",
            )
        )
    Session.objects.bulk_create(rows)
    login(page, owner)
    page.goto("/w/serena/sessions/?view=month&date=2026-03-15")
    _wait_calendar(page)
    more = page.locator(".fc-event.ev-more[data-more-date='2026-03-10']")
    more.wait_for()
    assert more.inner_text().strip() == "+7 more"
    day = page.locator("td.fc-daygrid-day[data-date='2026-03-10']")
    assert day.locator(".fc-event[data-session-id]").count() == 5
    # The first five of the day, in start order: 08:00 to 12:00.
    assert "08:00" in day.locator(".fc-event[data-session-id]").first.inner_text()
    with page.expect_response(lambda r: "/calendar?" in r.url and "per_day" not in r.url) as loaded:
        more.click()
    assert len(loaded.value.json()["events"]) == 12
    page.locator(".fc-timeGridDay-view").wait_for()
    _wait_calendar(page)
    page.wait_for_function("() => document.querySelectorAll('.fc-event[data-session-id]').length === 12")
    assert "view=day" in page.url and "date=2026-03-10" in page.url
    shot(page, "calendar-more-day")
    last = Session.objects.get(client=clients[11])
    event = _event(page, last.pk)
    assert "Cliente 11" in event.inner_text()
    event.click()
    page.wait_for_url(re.compile(rf"/sessions/{last.pk}/$"))
    detail = page.locator("main").inner_text()
    assert "Cliente 11" in detail and "Sala 2" in detail
    assert page.js_errors == []


def test_month_of_everyone_at_phone_width(page, login, owner, therapist, workspace, shot):
    clients = Client.objects.bulk_create(
        [Client(workspace=workspace, name=f"Cliente {i:02d}") for i in range(20)]
    )
    tz = workspace.tz
    rows = []
    for i in range(300):
        day = dt.date(2026, 3, 2) + dt.timedelta(days=i % 26)
        start = dt.datetime.combine(day, dt.time(8 + (i // 26) % 11, 0), tzinfo=tz)
        rows.append(
            Session(
                workspace=workspace,
                name="Sessão",
                client=clients[i % 20],
                practitioner=owner if i % 2 else therapist,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=50),
                duration_minutes=50,
            )
        )
    Session.objects.bulk_create(rows)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, owner)
    page.goto("/w/serena/sessions/?view=month&date=2026-03-15")
    _wait_calendar(page)
    page.locator(".fc-event.ev-more").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The grid is drawn (a phone rule once turned its tables into empty blocks).
    assert page.locator(".fc-daygrid-body").bounding_box()["height"] > 400
    assert page.locator(".fc-event.ev-more").first.is_visible()
    assert page.js_errors == []
    page.locator("td.fc-daygrid-day[data-date='2026-03-03']").scroll_into_view_if_needed()
    shot(page, "calendar-month-busy-phone")


def test_find_a_free_slot_and_book_it(page, login, owner, ana):
    # Monday 9 March: 09:00-12:00 and 13:00-18:00 open; 09:00-10:00 already taken.
    _book(owner, ana, "2026-03-09T09:00", name="Taken")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    panel = page.locator(".free-slots")
    panel.get_by_label("Duration (minutes)").fill("60")
    panel.get_by_label("From").fill("2026-03-09")
    panel.get_by_label("Search the next").select_option("1")
    with page.expect_response(lambda r: "/availability?" in r.url) as answer:
        panel.get_by_role("button", name="Find free slots").click()
    assert answer.value.status == 200
    first = panel.locator(".free-slots-result a").first
    first.wait_for()
    assert first.inner_text().startswith("10:00")
    assert "09:00" not in panel.locator(".free-slots-result").inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/sessions/new/"))
    assert page.get_by_label("Date", exact=True).input_value() == "2026-03-09"
    assert page.get_by_label("Start time").input_value() == "10:00"


def test_keyboard_shortcuts_change_view_and_date(page, login, owner):
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    page.locator("body").press("m")
    page.locator(".fc-dayGridMonth-view").wait_for()
    assert "view=month" in page.url
    page.locator("body").press("d")
    page.locator(".fc-timeGridDay-view").wait_for()
    page.locator("body").press("j")
    page.wait_for_function("() => location.search.includes('view=day')")
    page.locator("body").press("w")
    page.locator(".fc-timeGridWeek-view").wait_for()
    page.locator("body").press("n")
    page.wait_for_url(re.compile(r"/sessions/new/"))


def test_calendar_in_brazilian_portuguese(page, login, owner, ana):
    session = _book(owner, ana, "2026-03-10T14:00", name="Sessão")
    login(page, owner)
    page.context.add_cookies([{"name": "django_language", "value": "pt-br", "url": page.url}])
    page.goto(WEEK)
    _wait_calendar(page)
    _event(page, session.pk).wait_for()
    assert page.locator(".fc-today-button").inner_text() == "Hoje"
    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert "14:00" in _event(page, session.pk).inner_text()
    assert page.js_errors == []


def test_tablet_width_keeps_everything_reachable(page, login, owner, ana):
    session = _book(owner, ana, "2026-03-10T10:00", name="Tablet")
    page.set_viewport_size({"width": 820, "height": 1180})
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    event = _event(page, session.pk)
    event.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    assert (
        page.get_by_role("button", name="Find free slots").is_visible() or page.locator(".free-slots").count()
    )
    event.click()
    page.wait_for_url(re.compile(rf"/sessions/{session.pk}/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 820


def test_resize_changes_the_duration_and_undo_puts_it_back(page, login, owner, ana):
    session = _book(owner, ana, "2026-03-10T10:00", name="Stretchy")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    event = _event(page, session.pk)
    event.wait_for()
    event.hover()
    handle = event.locator(".fc-event-resizer-end")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    _x, y = _slot_point(page, "2026-03-10", "11:30:00")
    page.mouse.move(box["x"] + box["width"] / 2, y + 6, steps=10)
    with page.expect_response(lambda r: r.request.method == "PATCH") as patch:
        page.mouse.up()
    assert patch.value.status == 200
    session.refresh_from_db()
    assert session.duration_minutes == 120
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        page.locator("#calendar-status").get_by_role("button", name="Undo").click()
    page.locator("#calendar-status", has_text="undone").wait_for()
    session.refresh_from_db()
    assert session.duration_minutes == 60
    assert session.starts_at.astimezone(session.workspace.tz).hour == 10


def test_a_week_across_daylight_saving_keeps_local_times(page, login, owner, ana, workspace):
    # Lisbon moves from +00:00 to +01:00 at 01:00 on Sunday 29 March 2026.
    workspace.timezone = "Europe/Lisbon"
    workspace.save()
    owner.workspace.timezone = "Europe/Lisbon"  # the member's cached workspace books in the new zone
    before = _book(owner, ana, "2026-03-27T09:00", name="Before the change")
    after = _book(owner, ana, "2026-03-29T09:00", name="After the change")
    login(page, owner)
    page.goto("/w/serena/sessions/?view=week&date=2026-03-23")
    _wait_calendar(page)
    for session in (before, after):
        _event(page, session.pk).wait_for()
        assert "09:00 - 10:00" in _event(page, session.pk).inner_text()
    _drag(page, _event(page, before.pk), "2026-03-29", "11:00:00")
    dialog = page.locator("#change-dialog")
    dialog.wait_for()  # a Sunday is outside the working hours
    assert "outside the working hours" in dialog.inner_text()
    with page.expect_response(lambda r: r.request.method == "PATCH") as patch:
        page.get_by_role("button", name="Save anyway").click()
    assert patch.value.status == 200
    before.refresh_from_db()
    local = before.starts_at.astimezone(workspace.tz)
    assert (local.date(), local.strftime("%H:%M"), local.utcoffset()) == (
        dt.date(2026, 3, 29),
        "11:00",
        dt.timedelta(hours=1),
    )


def test_a_stale_move_is_put_back_and_the_calendar_refreshed(page, login, owner, ana):
    from atendo.scheduling.services import session_update

    session = _book(owner, ana, "2026-03-10T10:00", name="Contested")
    login(page, owner)
    page.goto(WEEK)
    _wait_calendar(page)
    _event(page, session.pk).wait_for()
    # Meanwhile a colleague renames it (the calendar still holds the old version).
    session_update(member=owner, session_id=session.pk, version=session.version, changes={"name": "Renamed"})
    with page.expect_response(lambda r: r.request.method == "PATCH") as patch:
        _drag(page, _event(page, session.pk), "2026-03-11", "10:00:00")
    assert patch.value.status == 409
    page.locator("#calendar-status.error").wait_for()
    page.locator(f".fc-event[data-session-id='{session.pk}']", has_text="Renamed").wait_for()
    session.refresh_from_db()
    assert session.starts_at.astimezone(session.workspace.tz).day == 10
