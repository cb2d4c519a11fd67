"""Attendance on the pages: the session page's cancel form (who, why, late, the fee), no-show and
confirm buttons, the list's status filter, and the settings page's window and fees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from atendo.billing.models import Payment
from atendo.scheduling.models import Session
from atendo.workspaces.models import Workspace
from atendo.workspaces.services import workspace_update_settings
from tests.factories import ClientFactory, SessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db
BASE = "/w/serena/sessions"


def _in(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


@pytest.fixture
def setup(owner, therapist):
    workspace_update_settings(
        member=owner,
        cancellation_window_hours=24,
        no_show_fee={"type": "amount", "value": "80"},
        late_cancel_fee={"type": "percent", "value": "50"},
    )
    reiki = TherapyTypeFactory(workspace=owner.workspace, name="Reiki", default_price=Decimal("150.00"))
    ana = ClientFactory(workspace=owner.workspace, name="Ana Cliente", practitioners=[therapist])
    return {"reiki": reiki, "ana": ana}


def _session(setup, therapist, hours, **extra):
    return SessionFactory(
        client=setup["ana"],
        practitioner=therapist,
        therapy_type=setup["reiki"],
        starts_at=_in(hours),
        **extra,
    )


def test_the_cancel_form_warns_that_now_is_late_and_names_the_fee(page_client, assistant, therapist, setup):
    session = _session(setup, therapist, 5)
    html = page_client(assistant).get(f"{BASE}/{session.pk}/").content.decode()
    assert 'data-testid="cancel-form"' in html
    assert 'name="by" value="client" checked' in html
    assert "less than 24 hours before the session" in html
    assert "R$ 75.00" in html  # 50% of R$ 150.00 (money in the reader's language: English here)
    assert 'name="waive_fee"' in html  # the assistant holds billing.manage


def test_cancelling_on_the_page_records_who_why_and_the_fee(page_client, assistant, therapist, setup):
    session = _session(setup, therapist, 5)
    response = page_client(assistant).post(
        f"{BASE}/{session.pk}/status/",
        {"status": "cancelled", "version": session.version, "by": "client", "reason": "Gripe"},
        follow=True,
    )
    html = response.content.decode()
    stored = Session.objects.get(pk=session.pk)
    assert (stored.status, stored.cancelled_by, stored.cancellation_reason, stored.cancellation_late) == (
        "cancelled",
        "client",
        "Gripe",
        True,
    )
    assert Payment.objects.get(session=session).fee == "late_cancel"
    assert "A late cancellation fee of R$" in html
    assert 'data-testid="cancellation"' in html and "Late cancellation" in html and "Gripe" in html


def test_waiving_the_late_fee_on_the_page(page_client, owner, therapist, setup):
    session = _session(setup, therapist, 5)
    page_client(owner).post(
        f"{BASE}/{session.pk}/status/",
        {"status": "cancelled", "version": session.version, "by": "client", "waive_fee": "on"},
    )
    assert Session.objects.get(pk=session.pk).cancellation_late
    assert not Payment.objects.exists()


def test_no_show_is_offered_once_the_session_started(page_client, owner, therapist, setup):
    future = _session(setup, therapist, 5)
    past = _session(setup, therapist, -2, status="scheduled")
    client = page_client(owner)
    assert 'name="status" value="no_show"' not in client.get(f"{BASE}/{future.pk}/").content.decode()
    assert 'name="status" value="no_show"' in client.get(f"{BASE}/{past.pk}/").content.decode()
    html = client.post(
        f"{BASE}/{past.pk}/status/", {"status": "no_show", "version": past.version}, follow=True
    ).content.decode()
    assert Session.objects.get(pk=past.pk).status == "no_show"
    assert "A no-show fee of R$ 80.00 is now pending." in html
    assert 'class="badge badge-no_show"' in html


def test_a_no_show_before_the_start_is_refused_on_the_page(page_client, owner, therapist, setup):
    future = _session(setup, therapist, 5)
    html = (
        page_client(owner)
        .post(f"{BASE}/{future.pk}/status/", {"status": "no_show", "version": future.version}, follow=True)
        .content.decode()
    )
    assert "only once its start time has passed" in html
    assert Session.objects.get(pk=future.pk).status == "scheduled"


def test_marking_confirmed_on_the_page(page_client, assistant, therapist, setup):
    session = _session(setup, therapist, 30)
    client = page_client(assistant)
    html = client.get(f"{BASE}/{session.pk}/").content.decode()
    assert "Mark confirmed" in html
    html = client.post(
        f"{BASE}/{session.pk}/confirm/", {"version": session.version}, follow=True
    ).content.decode()
    assert Session.objects.get(pk=session.pk).confirmed_at is not None
    assert 'data-testid="confirmed"' in html and "Remove the confirmation" in html


def test_the_attendance_pages_check_access(page_client, outsider, receptionist, therapist, setup):
    session = _session(setup, therapist, 30)
    for path in (f"{BASE}/{session.pk}/status/", f"{BASE}/{session.pk}/confirm/"):
        body = {"status": "cancelled", "version": session.version, "by": "client"}
        assert page_client(outsider).post(path, body).status_code == 404, path
        assert page_client(receptionist).post(path, body).status_code == 403, path
    assert Session.objects.get(pk=session.pk).status == "scheduled"


def test_the_list_filters_no_shows_and_labels_them(page_client, owner, therapist, setup):
    missed = _session(setup, therapist, -3)
    from atendo.scheduling.services import session_set_status

    session_set_status(member=owner, session_id=missed.pk, status="no_show", version=missed.version)
    _session(setup, therapist, -5)
    html = page_client(owner).get(f"{BASE}/list/?status=no_show").content.decode()
    assert '<option value="no_show" selected>No-show</option>' in html
    assert html.count("badge-no_show") == 1


def test_the_settings_page_sets_the_window_and_the_fees(page_client, owner):
    client = page_client(owner)
    html = client.get("/w/serena/settings/workspace/").content.decode()
    assert 'id="settings-attendance"' in html and 'name="late_cancel_fee_0"' in html
    workspace = Workspace.objects.get(slug="serena")
    form = {
        "name": workspace.name,
        "timezone": workspace.timezone,
        "currency": workspace.currency,
        "language": workspace.language,
        "default_duration_minutes": "60",
        "default_status": "scheduled",
        "default_start_time": "09:00",
        "slot_minutes": "30",
        "default_calendar_view": "week",
        "payment_due_days": "7",
        "cancellation_window_hours": "48",
        "late_cancel_fee_0": "percent",
        "late_cancel_fee_1": "50",
        "no_show_fee_0": "amount",
        "no_show_fee_1": "90,5",
    }
    refused = client.post("/w/serena/settings/workspace/", form)
    assert refused.status_code == 422 and "Must be an amount" in refused.content.decode()
    saved = client.post("/w/serena/settings/workspace/", {**form, "no_show_fee_1": "90.50"})
    assert saved.status_code == 302
    workspace.refresh_from_db()
    assert workspace.cancellation_window_hours == 48
    assert workspace.late_cancel_fee == {"type": "percent", "value": "50"}
    assert workspace.no_show_fee == {"type": "amount", "value": "90.50"}
    cleared = client.post("/w/serena/settings/workspace/", {**form, "no_show_fee_0": "", "no_show_fee_1": ""})
    assert cleared.status_code == 302
    workspace.refresh_from_db()
    assert workspace.no_show_fee is None


def test_the_client_page_shows_attendance(page_client, owner, therapist, setup):
    late = _session(setup, therapist, 5)
    page_client(owner).post(
        f"{BASE}/{late.pk}/status/",
        {"status": "cancelled", "version": late.version, "by": "client", "reason": "Gripe"},
    )
    missed = _session(setup, therapist, -3)
    page_client(owner).post(f"{BASE}/{missed.pk}/status/", {"status": "no_show", "version": missed.version})
    html = page_client(owner).get(f"{BASE}/client/{setup['ana'].pk}/").content.decode()
    assert 'data-testid="late"' in html and "by the client" in html and "Gripe" in html
    assert 'class="badge badge-no_show"' in html
