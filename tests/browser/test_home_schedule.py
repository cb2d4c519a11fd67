"""The practice's day in a real browser, at desktop and phone widths: the home (the therapist's own
day, the owner's everyone, a quick action), the day by practitioner (one column each), the agenda
view, a member's last view coming back, and attendance on the session page (a late cancellation
and a no-show, each with its fee)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from atendo.billing.models import Payment
from atendo.scheduling.models import Session
from atendo.workspaces.profile import member_profile_update
from atendo.workspaces.services import workspace_update_settings
from tests.factories import ClientFactory, StoredSessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(autouse=True)
def _patient_page(page):
    page.set_default_timeout(25_000)


@pytest.fixture
def day(owner, therapist, other_therapist):
    """Today (in São Paulo) of a small practice: two therapists, a few clients each."""
    ws = owner.workspace
    member_profile_update(member=therapist, data={"name": "Dra. Mariana Costa"})
    member_profile_update(member=other_therapist, data={"name": "Dr. Paulo Reis"})
    workspace_update_settings(
        member=owner,
        cancellation_window_hours=24,
        no_show_fee={"type": "amount", "value": "80"},
        late_cancel_fee={"type": "percent", "value": "50"},
    )
    reiki = TherapyTypeFactory(
        workspace=ws, name="Sessão de Reiki", color="#2f9e8f", default_price=Decimal("150.00")
    )
    psico = TherapyTypeFactory(
        workspace=ws, name="Psicoterapia", color="#7a5195", default_price=Decimal("220.00")
    )
    today = timezone.now().astimezone(ws.tz).date()
    made = {}
    plan = [
        ("Ana Souza", therapist, 9, psico),
        ("Bruno Lima", therapist, 11, reiki),
        ("Carla Dias", therapist, 15, psico),
        ("Davi Rocha", other_therapist, 10, reiki),
        ("Eva Nunes", other_therapist, 14, psico),
    ]
    for name, who, hour, kind in plan:
        client = ClientFactory(workspace=ws, name=name, practitioners=[who])
        made[name] = StoredSessionFactory(
            client=client,
            workspace=ws,
            practitioner=who,
            therapy_type=kind,
            name=kind.name,
            starts_at=dt.datetime.combine(today, dt.time(hour), tzinfo=ws.tz),
            duration_minutes=50,
            status="scheduled",
            created_by=owner,
        )
    return {"today": today, "sessions": made, "reiki": reiki, "ws": ws}


def _local_now_plus(ws, hours):
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_home_per_persona(page, login, shot, owner, therapist, day, width):
    page.set_viewport_size(WIDTHS[width])
    # Only a session that has not ended yet can be confirmed: Ana's and Davi's move to the next day
    # (same hours), so the test holds at any time of the day it runs.
    tomorrow = day["today"] + dt.timedelta(days=1)
    for name in ("Ana Souza", "Davi Rocha"):
        moved = day["sessions"][name]
        Session.objects.filter(pk=moved.pk).update(
            starts_at=moved.starts_at + dt.timedelta(days=1), ends_at=moved.ends_at + dt.timedelta(days=1)
        )
    login(page, therapist)
    page.goto(f"/w/serena/?date={tomorrow.isoformat()}")
    agenda = page.locator(".agenda-list")
    expect(agenda).to_contain_text("Ana Souza")
    expect(agenda).not_to_contain_text("Davi Rocha")  # a colleague's client: not on my day
    ana = page.locator(f".agenda-item[data-session-id='{day['sessions']['Ana Souza'].pk}']")
    expect(ana.locator("[data-flag=confirmed]")).to_have_text("Not confirmed")
    # A quick action answers in place (htmx), the day and its scope kept.
    ana.get_by_role("button", name="Confirm").click()
    expect(ana.locator("[data-flag=confirmed]")).to_contain_text("Confirmed")
    assert Session.objects.get(pk=day["sessions"]["Ana Souza"].pk).confirmed_at is not None
    # Switching to everyone's day, once htmx has settled the answer in place (a change made
    # before that can reach a form htmx has not processed yet, and nothing happens).
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
    page.select_option("#home-practitioner", "all")
    expect(agenda).to_contain_text("Davi Rocha")
    if width == "desktop":
        shot(page, "home-therapist")
    # The owner lands on everyone's day.
    page.context.clear_cookies()
    login(page, owner)
    page.goto(f"/w/serena/?date={tomorrow.isoformat()}")
    expect(page.locator(".agenda-list")).to_contain_text("Davi Rocha")
    expect(page.locator(".agenda-list")).to_contain_text("Ana Souza")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "home" if width == "desktop" else "home-phone")
    assert page.js_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_day_by_practitioner(page, login, shot, owner, therapist, other_therapist, day, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, owner)
    page.goto(f"/w/serena/sessions/team/?date={day['today'].isoformat()}")
    grid = page.get_by_test_id("team-day")
    columns = grid.locator("ol.team-col")
    expect(columns).to_have_count(3)  # the owner, Mariana, Paulo
    mariana = grid.locator(f"ol.team-col[data-practitioner-id='{therapist.pk}']")
    paulo = grid.locator(f"ol.team-col[data-practitioner-id='{other_therapist.pk}']")
    expect(mariana).to_contain_text("Ana Souza")
    expect(mariana).not_to_contain_text("Davi Rocha")
    expect(paulo).to_contain_text("Davi Rocha")
    bruno = mariana.locator(f".team-event[data-session-id='{day['sessions']['Bruno Lima'].pk}']")
    # The client leads; the readable text colour on the teal is black (WCAG AA).
    assert bruno.locator(".ev-title").inner_text() == "Bruno Lima"
    assert bruno.evaluate("el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
    # Ana at 09:00 sits above Bruno at 11:00, in the same column.
    ana_box = mariana.locator(".team-event").first.bounding_box()
    assert ana_box["y"] < bruno.bounding_box()["y"]
    # Each column stays readable; on a phone the grid scrolls sideways, not the page.
    assert mariana.bounding_box()["width"] >= 140
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "calendar-day-team" if width == "desktop" else "calendar-day-team-phone")
    page.select_option("#team-practitioner", str(other_therapist.pk))
    page.get_by_role("button", name="Show").click()
    expect(grid.locator("ol.team-col")).to_have_count(1)
    assert page.js_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_agenda_view_and_names_first(page, login, shot, owner, therapist, day, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, owner)
    page.goto(f"/w/serena/sessions/?view=agenda&date={day['today'].isoformat()}")
    page.wait_for_selector("#calendar[aria-busy='false']")
    rows = page.locator(".fc-list-event")
    expect(rows).to_have_count(5)
    first = rows.first
    expect(first.locator(".ev-title")).to_have_text("Ana Souza")
    expect(first.locator(".ev-service")).to_have_text("Psicoterapia")
    expect(first.locator(".ev-meta")).to_contain_text("Dra. Mariana Costa")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "calendar-agenda" if width == "desktop" else "calendar-agenda-phone")
    # In the month view the client's name leads too (not "Sessão de R…").
    page.goto(f"/w/serena/sessions/?view=month&date={day['today'].isoformat()}")
    page.wait_for_selector("#calendar[aria-busy='false']")
    event = page.locator(f".fc-event[data-session-id='{day['sessions']['Bruno Lima'].pk}'] .ev-title")
    expect(event).to_have_text("Bruno Lima")
    assert page.js_errors == []


def test_a_member_finds_their_own_schedule_and_last_view_again(page, login, therapist, day):
    login(page, therapist)
    page.goto("/w/serena/sessions/")
    page.wait_for_selector("#calendar[aria-busy='false']")
    assert page.locator("#f-practitioner").input_value() == str(therapist.pk)
    expect(page.locator(".fc-event")).to_have_count(3)  # Mariana's own three, not Paulo's
    page.get_by_role("button", name="Agenda").click()
    page.wait_for_selector(".fc-list-event")
    page.goto("/w/serena/sessions/")
    page.wait_for_url("**view=agenda**")
    assert f"practitioner={therapist.pk}" in page.url
    page.wait_for_selector(".fc-list-event")
    assert page.js_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_late_cancellation_and_no_show_with_fees(page, login, shot, assistant, therapist, day, width):
    page.set_viewport_size(WIDTHS[width])
    ws = day["ws"]
    soon = StoredSessionFactory(
        client=day["sessions"]["Ana Souza"].client,
        workspace=ws,
        practitioner=therapist,
        therapy_type=day["reiki"],
        starts_at=_local_now_plus(ws, 5),
        status="scheduled",
    )
    missed = StoredSessionFactory(
        client=day["sessions"]["Bruno Lima"].client,
        workspace=ws,
        practitioner=therapist,
        therapy_type=day["reiki"],
        starts_at=_local_now_plus(ws, -3),
        status="scheduled",
    )
    login(page, assistant)
    page.goto(f"/w/serena/sessions/{soon.pk}/")
    page.locator(".cancel-box summary").click()
    form = page.get_by_test_id("cancel-form")
    expect(form.get_by_test_id("late-warning")).to_contain_text("R$ 75.00")
    form.get_by_label("Reason").fill("Gripe")
    if width == "desktop":
        shot(page, "attendance-late-cancel")
    with page.expect_navigation():  # a plain form post: its answer may take seconds on a busy machine
        form.get_by_role("button", name="Cancel the session").click()
    expect(page.locator("body")).to_contain_text("A late cancellation fee of R$ 75.00 is now pending.")
    expect(page.get_by_test_id("cancellation")).to_contain_text("Gripe")
    stored = Session.objects.get(pk=soon.pk)
    assert (stored.status, stored.cancelled_by, stored.cancellation_late) == ("cancelled", "client", True)
    assert Payment.objects.get(session=soon).fee == "late_cancel"
    page.goto(f"/w/serena/sessions/{missed.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="No-show").click()
    expect(page.locator("body")).to_contain_text("A no-show fee of R$ 80.00 is now pending.")
    assert Session.objects.get(pk=missed.pk).status == "no_show"
    assert Payment.objects.get(session=missed).amount == Decimal("80.00")
    shot(page, "attendance-no-show" if width == "desktop" else "attendance-no-show-phone")
    assert page.js_errors == []
