"""Attendance: no-shows, cancellations (who, why, late against the window), their fees, and
confirmations — through the API as each persona, and through `session_cancel` / `session_confirm`
where no member acts (a client's link)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from atendo.audit.models import AuditEvent
from atendo.billing.models import Payment
from atendo.core.errors import Conflict
from atendo.scheduling.models import Session, SessionStatusChange
from atendo.scheduling.services import session_cancel, session_confirm, session_set_status
from atendo.workspaces.services import workspace_update_settings
from tests.factories import (
    ClientFactory,
    InvoiceFactory,
    PaymentFactory,
    SessionFactory,
    TherapyTypeFactory,
)

pytestmark = pytest.mark.django_db


def _in(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


@pytest.fixture
def reiki(workspace):
    return TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))


@pytest.fixture
def ana(workspace, therapist):
    return ClientFactory(workspace=workspace, name="Ana Cliente", practitioners=[therapist])


@pytest.fixture
def fees(owner):
    """A practice with a 24-hour window, an 80.00 no-show fee and a 50% late cancellation fee."""
    workspace_update_settings(
        member=owner,
        cancellation_window_hours=24,
        no_show_fee={"type": "amount", "value": "80"},
        late_cancel_fee={"type": "percent", "value": "50"},
    )
    owner.workspace.refresh_from_db()
    return owner.workspace


def _session(ana, therapist, reiki, hours: float, **extra):
    return SessionFactory(
        client=ana, practitioner=therapist, therapy_type=reiki, starts_at=_in(hours), **extra
    )


def _status(api_client, session, status, **body):
    return api_client.post(
        f"sessions/{session.pk}/status", {"status": status, "version": session.version, **body}
    )


# --- no-show ----------------------------------------------------------------------------------------


def test_a_no_show_charges_the_no_show_fee_as_a_pending_payment(api, assistant, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, -3)
    response = _status(api(assistant), session, "no_show")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session"]["status"] == "no_show"
    assert body["session"]["cancellation"] is None
    payment = Payment.objects.get(session=session)
    assert (payment.amount, payment.status, payment.fee, payment.method) == (
        Decimal("80.00"),
        "pending",
        "no_show",
        "",
    )
    assert body["fees"] == [
        {"session_id": session.pk, "payment_id": payment.pk, "kind": "no_show", "amount": "80.00"}
    ]
    event = AuditEvent.objects.get(action="payment.fee_charge")
    assert event.actor == assistant.user and event.changes["fee"] == "no_show"
    change = SessionStatusChange.objects.filter(session=session).order_by("-id").first()
    assert (change.to_status, change.changed_by_id) == ("no_show", assistant.pk)


def test_a_session_still_to_come_cannot_be_a_no_show(api, owner, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 2)
    response = _status(api(owner), session, "no_show")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "status"
    assert Session.objects.get(pk=session.pk).status == "scheduled"
    assert not Payment.objects.exists()


def test_a_percentage_fee_needs_a_price(api, owner, ana, therapist, reiki):
    workspace_update_settings(member=owner, no_show_fee={"type": "percent", "value": "40"})
    priced = _session(ana, therapist, reiki, -30)
    unpriced = SessionFactory(client=ana, practitioner=therapist, starts_at=_in(-5))
    assert _status(api(owner), priced, "no_show").json()["fees"][0]["amount"] == "60.00"
    assert _status(api(owner), unpriced, "no_show").json()["fees"] == []
    assert list(Payment.objects.values_list("session_id", flat=True)) == [priced.pk]


def test_a_session_already_paid_keeps_its_payment(api, owner, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, -3)
    paid = PaymentFactory(session=session, status="paid", method="pix")
    session.refresh_from_db()
    body = _status(api(owner), session, "no_show").json()
    assert body["fees"] == []
    assert list(Payment.objects.values_list("pk", "fee", "status")) == [(paid.pk, "", "paid")]


def test_waiving_the_fee_needs_billing_manage(
    api, owner, other_therapist, fees, ana, therapist, reiki, workspace
):
    from atendo.workspaces.models import Role

    session = _session(ana, therapist, reiki, -3)
    Role.objects.filter(workspace=workspace, name="Therapist").update(
        permissions=[
            p
            for p in Role.objects.get(workspace=workspace, name="Therapist").permissions
            if p != "billing.manage"
        ]
    )
    refused = _status(api(other_therapist), session, "no_show", charge_fee=False)
    assert refused.status_code == 403
    assert Session.objects.get(pk=session.pk).status == "completed"
    waived = _status(api(owner), session, "no_show", charge_fee=False)
    assert waived.status_code == 200 and waived.json()["fees"] == []
    assert not Payment.objects.exists()


def test_undoing_a_no_show_removes_its_unpaid_fee_but_never_a_paid_one(
    api, owner, fees, ana, therapist, reiki
):
    first = _session(ana, therapist, reiki, -3)
    second = _session(ana, therapist, reiki, -30)
    client = api(owner)
    for session in (first, second):
        _status(client, session, "no_show")
    Payment.objects.filter(session=second).update(status="paid", method="cash")
    for session in (first, second):
        session.refresh_from_db()
        assert _status(client, session, "completed").status_code == 200
    assert list(Payment.objects.values_list("session_id", "fee", "status")) == [
        (second.pk, "no_show", "paid")
    ]
    assert AuditEvent.objects.filter(action="payment.fee_void").count() == 1


def test_an_invoiced_fee_stays(api, owner, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, -3)
    client = api(owner)
    _status(client, session, "no_show")
    InvoiceFactory(sessions=[session], status="issued")
    session.refresh_from_db()
    assert _status(client, session, "scheduled").status_code == 200
    assert Payment.objects.filter(session=session, fee="no_show").exists()


# --- cancellations ----------------------------------------------------------------------------------


def test_a_client_cancelling_inside_the_window_is_late_and_pays_the_late_fee(
    api, assistant, fees, ana, therapist, reiki
):
    session = _session(ana, therapist, reiki, 5)
    response = _status(api(assistant), session, "cancelled", cancellation={"by": "client", "reason": "Gripe"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session"]["cancellation"] == {"reason": "Gripe", "by": "client", "late": True}
    assert body["fees"][0]["kind"] == "late_cancel" and body["fees"][0]["amount"] == "75.00"
    stored = Session.objects.get(pk=session.pk)
    assert stored.cancelled_at is not None and stored.cancelled_by == "client" and stored.cancellation_late
    assert Payment.objects.get(session=session).fee == "late_cancel"
    # The detail, the list and the calendar range all say so.
    detail = api(assistant).get(f"sessions/{session.pk}").json()
    assert detail["cancellation"] == {"reason": "Gripe", "by": "client", "late": True}
    day = session.starts_at.astimezone(session.workspace.tz).date()
    listed = api(assistant).get(
        "sessions", start=day.isoformat(), end=(day + dt.timedelta(days=1)).isoformat()
    )
    assert listed.json()["items"][0]["cancellation"]["late"] is True


def test_cancelling_in_good_time_or_by_the_practice_is_not_late(api, owner, fees, ana, therapist, reiki):
    early = _session(ana, therapist, reiki, 72)
    by_practice = _session(ana, therapist, reiki, 3)
    client = api(owner)
    a = _status(client, early, "cancelled", cancellation={"by": "client"}).json()
    b = _status(client, by_practice, "cancelled", cancellation={"by": "practice", "reason": "Feriado"}).json()
    assert a["session"]["cancellation"] == {"reason": "", "by": "client", "late": False}
    assert b["session"]["cancellation"] == {"reason": "Feriado", "by": "practice", "late": False}
    assert a["fees"] == b["fees"] == []
    assert not Payment.objects.exists()


def test_a_window_of_zero_makes_no_cancellation_late(api, owner, fees, ana, therapist, reiki):
    workspace_update_settings(member=owner, cancellation_window_hours=0)
    session = _session(ana, therapist, reiki, 1)
    body = _status(api(owner), session, "cancelled", cancellation={"by": "client"}).json()
    assert body["session"]["cancellation"]["late"] is False and body["fees"] == []


def test_a_cancellation_without_who_is_the_practice_s(api, owner, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 2)
    body = _status(api(owner), session, "cancelled").json()
    assert body["session"]["cancellation"] == {"reason": "", "by": "practice", "late": False}
    patched = _session(ana, therapist, reiki, 4)
    response = api(owner).patch(f"sessions/{patched.pk}", {"version": patched.version, "status": "cancelled"})
    assert response.json()["session"]["cancellation"]["by"] == "practice"


def test_correcting_who_cancelled_recomputes_lateness_and_the_fee(api, owner, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 5)
    client = api(owner)
    late = _status(client, session, "cancelled", cancellation={"by": "client"}).json()["session"]
    assert late["cancellation"]["late"] and Payment.objects.filter(session=session).exists()
    fixed = client.post(
        f"sessions/{session.pk}/status",
        {
            "status": "cancelled",
            "version": late["version"],
            "cancellation": {"by": "practice", "reason": "Erro"},
        },
    ).json()
    assert fixed["session"]["cancellation"] == {"reason": "Erro", "by": "practice", "late": False}
    assert not Payment.objects.filter(session=session).exists()


def test_restoring_a_cancelled_session_clears_the_cancellation(api, owner, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 5)
    client = api(owner)
    cancelled = _status(client, session, "cancelled", cancellation={"by": "client", "reason": "x"}).json()
    restored = client.post(
        f"sessions/{session.pk}/status", {"status": "scheduled", "version": cancelled["session"]["version"]}
    ).json()
    assert restored["session"]["cancellation"] is None
    stored = Session.objects.get(pk=session.pk)
    assert (
        stored.cancelled_by,
        stored.cancellation_reason,
        stored.cancelled_at,
        stored.cancellation_late,
    ) == (
        "",
        "",
        None,
        False,
    )
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"status": "completed", "cancellation": {"by": "client"}}, "cancellation"),
        ({"status": "cancelled", "cancellation": {"by": "someone"}}, "cancellation.by"),
        ({"status": "cancelled", "cancellation": {"by": "client", "why": "x"}}, "cancellation.why"),
        (
            {"status": "cancelled", "cancellation": {"by": "client", "reason": "x" * 501}},
            "cancellation.reason",
        ),
        ({"status": "cancelled", "cancellation": {"reason": "x"}}, "cancellation.by"),
        ({"status": "no_show", "charge_fee": "no"}, "charge_fee"),
    ],
)
def test_bad_cancellations_are_refused_at_their_path(api, owner, ana, therapist, reiki, body, path):
    session = _session(ana, therapist, reiki, -2)
    response = api(owner).post(f"sessions/{session.pk}/status", {"version": session.version, **body})
    assert response.status_code == 422, response.content
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
    assert Session.objects.get(pk=session.pk).status == "completed"


def test_cancelling_following_occurrences_decides_each_one_s_lateness(
    api, owner, fees, ana, therapist, reiki
):
    first = SessionFactory(
        client=ana,
        practitioner=therapist,
        therapy_type=reiki,
        starts_at=_in(3),
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
    )
    response = _status(api(owner), first, "cancelled", scope="following", cancellation={"by": "client"})
    assert response.status_code == 200, response.content
    rows = list(Session.objects.filter(series_id=first.series_id).order_by("starts_at"))
    assert [s.status for s in rows] == ["cancelled"] * 3
    assert [s.cancellation_late for s in rows] == [True, False, False]
    assert [s.cancelled_by for s in rows] == ["client"] * 3
    assert [f["session_id"] for f in response.json()["fees"]] == [first.pk]


def test_the_history_and_the_csv_show_attendance(api, owner, fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 5)
    client = api(owner)
    _status(client, session, "cancelled", cancellation={"by": "client", "reason": "=cmd"})
    history = client.get(f"sessions/{session.pk}/history").json()["items"]
    assert [h["to_status"] for h in history][-1] == "cancelled"
    day = session.starts_at.astimezone(session.workspace.tz).date()
    export = client.get(
        "sessions/export.csv", start=day.isoformat(), end=(day + dt.timedelta(days=1)).isoformat()
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert (rows[0]["status"], rows[0]["cancelled_by"], rows[0]["late_cancellation"]) == (
        "cancelled",
        "client",
        "yes",
    )
    assert rows[0]["cancellation_reason"] == "'=cmd"  # spreadsheet-safe


def test_the_status_filter_finds_no_shows(api, owner, ana, therapist, reiki):
    missed = _session(ana, therapist, reiki, -3)
    _session(ana, therapist, reiki, -4)
    session_set_status(member=owner, session_id=missed.pk, status="no_show", version=missed.version)
    items = api(owner).get("sessions", status="no_show").json()["items"]
    assert [s["id"] for s in items] == [missed.pk]
    assert api(owner).get("sessions", status="absent").status_code == 422


def test_a_session_created_cancelled_is_the_practice_s_and_a_future_no_show_is_refused(api, owner, ana):
    client = api(owner)
    body = {"name": "S", "client_id": ana.pk, "starts_at": _in(48).isoformat(), "duration_minutes": 50}
    created = client.post("sessions", {**body, "status": "cancelled"}).json()["session"]
    assert created["cancellation"] == {"reason": "", "by": "practice", "late": False}
    refused = client.post("sessions", {**body, "status": "no_show"})
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["path"] == "status"


def test_status_changes_check_access(api, owner, outsider, receptionist, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 5)
    assert _status(api(outsider, "serena"), session, "cancelled").status_code == 404
    assert _status(api(receptionist), session, "cancelled").status_code == 403
    assert Session.objects.get(pk=session.pk).status == "scheduled"


def test_a_no_show_cannot_be_recorded(api, owner, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, -3)
    session_set_status(member=owner, session_id=session.pk, status="no_show", version=session.version)
    response = api(owner).post(f"sessions/{session.pk}/record", {"version": session.version + 1})
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_recordable"


# --- where no member acts: a client's link ---------------------------------------------------------


def test_a_client_cancelling_through_a_link_is_recorded_with_the_link_as_actor(fees, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 6)
    result = session_cancel(
        workspace=fees,
        member=None,
        session_id=session.pk,
        by="client",
        reason="Viagem",
        actor_label="client (link)",
    )
    assert result.session.status == "cancelled" and result.session.cancellation_late
    assert [f.kind for f in result.fees] == ["late_cancel"]
    change = SessionStatusChange.objects.filter(session=session).order_by("-id").first()
    assert (change.changed_by_id, change.actor_label) == (None, "client (link)")
    event = AuditEvent.objects.get(action="session.cancel")
    assert event.actor is None and event.actor_label == "client (link)" and event.changes["late"] is True
    # Twice is once; a session already under way can no longer be cancelled from a link.
    again = session_cancel(workspace=fees, member=None, session_id=session.pk, by="client", actor_label="x")
    assert again.fees == [] and Payment.objects.count() == 1
    started = _session(ana, therapist, reiki, -0.5, status="in_progress")
    with pytest.raises(Conflict) as refused:
        session_cancel(workspace=fees, member=None, session_id=started.pk, by="client", actor_label="x")
    assert refused.value.code == "not_cancellable"


def test_a_member_cancels_through_the_same_service(owner, fees, ana, therapist, reiki, other_workspace):
    session = _session(ana, therapist, reiki, 6)
    result = session_cancel(
        workspace=fees, member=owner, session_id=session.pk, by="practice", reason="Férias"
    )
    assert result.session.cancelled_by == "practice" and not result.session.cancellation_late
    change = SessionStatusChange.objects.filter(session=session).order_by("-id").first()
    assert change.changed_by_id == owner.pk
    with pytest.raises(Exception) as foreign:
        session_cancel(
            workspace=other_workspace, member=None, session_id=session.pk, by="client", actor_label="x"
        )
    assert type(foreign.value).__name__ == "NotFound"


# --- confirmations ---------------------------------------------------------------------------------


def test_confirming_marks_the_session_and_moving_it_clears_that(api, assistant, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 30)
    client = api(assistant)
    confirmed = client.post(f"sessions/{session.pk}/confirm", {"version": session.version})
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()["session"]
    assert body["confirmed_at"] is not None
    assert Session.objects.get(pk=session.pk).confirmed_by_id == assistant.pk
    moved = client.patch(f"sessions/{session.pk}", {"version": body["version"], "start_time": "07:30"})
    assert moved.json()["session"]["confirmed_at"] is None


def test_only_a_session_still_to_come_can_be_confirmed(api, owner, ana, therapist, reiki):
    past = _session(ana, therapist, reiki, -30)
    response = api(owner).post(f"sessions/{past.pk}/confirm", {"version": past.version})
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_confirmable"


def test_a_client_confirms_through_a_link(workspace, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 30)
    result = session_confirm(
        workspace=workspace, member=None, session_id=session.pk, actor_label="client (link)"
    )
    assert result.session.confirmed_at is not None and result.session.confirmed_by_id is None
    assert AuditEvent.objects.filter(action="session.confirm", actor_label="client (link)").exists()


def test_confirming_checks_access_and_versions(api, owner, outsider, receptionist, ana, therapist, reiki):
    session = _session(ana, therapist, reiki, 30)
    body = {"version": session.version}
    assert api(outsider, "serena").post(f"sessions/{session.pk}/confirm", body).status_code == 404
    assert api(receptionist).post(f"sessions/{session.pk}/confirm", body).status_code == 403
    stale = api(owner).post(f"sessions/{session.pk}/confirm", {"version": session.version + 3})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    assert Session.objects.get(pk=session.pk).confirmed_at is None


# --- settings --------------------------------------------------------------------------------------


def test_the_attendance_settings_are_read_and_changed_through_the_settings_api(api, owner):
    client = api(owner)
    settings = client.get("settings").json()
    assert (settings["cancellation_window_hours"], settings["no_show_fee"], settings["late_cancel_fee"]) == (
        24,
        None,
        None,
    )
    changed = client.patch(
        "settings",
        {"cancellation_window_hours": 48, "no_show_fee": {"type": "amount", "value": "120.5"}},
    ).json()
    assert changed["cancellation_window_hours"] == 48
    assert changed["no_show_fee"] == {"type": "amount", "value": "120.50"}
    cleared = client.patch(
        "settings", {"no_show_fee": None, "late_cancel_fee": {"type": "percent", "value": "12.50"}}
    )
    assert cleared.json()["no_show_fee"] is None
    assert cleared.json()["late_cancel_fee"] == {"type": "percent", "value": "12.5"}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"no_show_fee": {"type": "percent", "value": "150"}}, "no_show_fee.value"),
        ({"no_show_fee": {"type": "amount", "value": "-3"}}, "no_show_fee.value"),
        ({"late_cancel_fee": {"type": "amount", "value": "abc"}}, "late_cancel_fee.value"),
        ({"late_cancel_fee": {"type": "half", "value": "1"}}, "late_cancel_fee.type"),
        ({"cancellation_window_hours": -1}, "cancellation_window_hours"),
        ({"cancellation_window_hours": 100000}, "cancellation_window_hours"),
    ],
)
def test_bad_attendance_settings_are_refused_at_their_path(api, owner, body, path):
    response = api(owner).patch("settings", body)
    assert response.status_code == 422, response.content
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
