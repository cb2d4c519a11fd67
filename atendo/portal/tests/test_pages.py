"""The client's portal pages: their sessions (nothing clinical), cancelling and moving within the
practice's rules, receipts and what is owed; another client's ids are 404."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atendo.audit.models import AuditEvent
from atendo.billing.models import Payment, PixSettings
from atendo.portal import selectors
from atendo.portal.models import PortalSession
from atendo.portal.tests.conftest import portal_client
from atendo.scheduling.models import Session
from tests.factories import PaymentFactory, SessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db

CANARY = "QZXportalCANARYXZQ"


@pytest.fixture
def reiki(workspace):
    return TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("200.00"))


def _session(client, therapist, reiki, *, hours: float, **kwargs):
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)
    return SessionFactory(
        client=client,
        practitioner=therapist,
        therapy_type=reiki,
        starts_at=start,
        name=f"{CANARY} name",
        notes=f"{CANARY} notes",
        admin_notes=f"{CANARY} admin",
        video_url="https://meet.example.com/room-1",
        **kwargs,
    )


def test_the_page_lists_sessions_and_nothing_clinical(owner, therapist, alice, reiki):
    ahead = _session(alice, therapist, reiki, hours=72)
    _session(alice, therapist, reiki, hours=-72)
    http = portal_client(owner, alice)
    page = http.get("/portal/serena/home/")
    text = page.content.decode()
    assert page.status_code == 200
    assert CANARY not in text
    assert "Reiki" in text and "Theo Therapist" in text
    assert "https://meet.example.com/room-1" in text  # the upcoming one's video call
    assert text.count("https://meet.example.com/room-1") == 1  # not on the past one
    assert f"/portal/serena/sessions/{ahead.pk}/cancel/" in text
    assert f"/portal/serena/sessions/{ahead.pk}/move/" in text
    for path in (f"/portal/serena/sessions/{ahead.pk}/cancel/", f"/portal/serena/sessions/{ahead.pk}/move/"):
        response = http.get(path)
        assert response.status_code == 200 and CANARY not in response.content.decode()


def test_the_times_are_in_the_practices_zone(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=72)
    http = portal_client(owner, alice)
    local = session.starts_at.astimezone(owner.workspace.tz).strftime("%H:%M")
    assert local in http.get("/portal/serena/home/").content.decode()


def test_another_clients_sessions_and_receipts_are_404(owner, therapist, alice, bruno, reiki):
    theirs = _session(bruno, therapist, reiki, hours=72)
    paid = PaymentFactory(session=theirs, status="paid", method="pix", paid_date="2026-01-05")
    http = portal_client(owner, alice)
    assert "Bruno" not in http.get("/portal/serena/home/").content.decode()
    for path in (
        f"/portal/serena/sessions/{theirs.pk}/cancel/",
        f"/portal/serena/sessions/{theirs.pk}/move/",
    ):
        assert http.get(path).status_code == 404
        assert http.post(path, {"starts_at": "2030-01-01T10:00", "version": 1}).status_code == 404
    assert http.get(f"/portal/serena/payments/{paid.pk}/receipt.pdf").status_code == 404
    assert Session.objects.get(pk=theirs.pk).status == "scheduled"


def test_another_workspaces_ids_are_404(owner, alice, outsider):
    from tests.factories import ClientFactory

    stranger = ClientFactory(workspace=outsider.workspace, name="Stranger")
    session = SessionFactory(client=stranger, practitioner=outsider, days_ago=-3)
    paid = PaymentFactory(
        session=session, amount="80.00", status="paid", method="cash", paid_date="2026-01-05"
    )
    http = portal_client(owner, alice)
    assert http.get(f"/portal/serena/sessions/{session.pk}/cancel/").status_code == 404
    assert http.get(f"/portal/serena/payments/{paid.pk}/receipt.pdf").status_code == 404
    assert http.get(f"/portal/outra/payments/{paid.pk}/receipt.pdf").status_code == 404


def test_a_receipt_of_the_clients_own_paid_payment(owner, therapist, alice, reiki):
    past = _session(alice, therapist, reiki, hours=-48)
    paid = PaymentFactory(session=past, status="paid", method="pix", paid_date="2026-01-05")
    pending = PaymentFactory(session=_session(alice, therapist, reiki, hours=-24))
    http = portal_client(owner, alice)
    page = http.get("/portal/serena/home/").content.decode()
    assert f"/portal/serena/payments/{paid.pk}/receipt.pdf" in page
    assert f"/portal/serena/payments/{pending.pk}/receipt.pdf" not in page
    response = http.get(f"/portal/serena/payments/{paid.pk}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert CANARY.encode() not in response.content
    assert http.get(f"/portal/serena/payments/{pending.pk}/receipt.pdf").status_code == 404


def test_what_is_owed_shows_the_pix_code_when_the_practice_has_a_key(owner, therapist, alice, reiki):
    pending = PaymentFactory(session=_session(alice, therapist, reiki, hours=-24))
    http = portal_client(owner, alice)
    page = http.get("/portal/serena/home/").content.decode()
    assert f'data-testid="due-{pending.pk}"' in page and "R$" in page
    assert "pix-payload" not in page
    PixSettings.objects.create(
        workspace=owner.workspace,
        key="123e4567-e12b-12d1-a456-426655440000",
        key_type="evp",
        merchant_name="Clinica Serena",
        city="SAO PAULO",
    )
    page = http.get("/portal/serena/home/").content.decode()
    assert "pix-payload" in page and "br.gov.bcb.pix" in page and "<svg" in page


# --- cancelling ------------------------------------------------------------------------------------


def test_cancelling_outside_the_window_is_not_late(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=72)
    http = portal_client(owner, alice)
    response = http.post(f"/portal/serena/sessions/{session.pk}/cancel/")
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "cancelled" and session.cancelled_by == "client"
    assert session.cancellation_late is False
    assert not Payment.objects.filter(session=session).exists()
    assert AuditEvent.objects.filter(action="session.cancel", actor_label="client (portal)").count() == 1
    assert AuditEvent.objects.filter(action="portal.cancel").count() == 1
    # Cancelled: no more buttons, and a second try is refused.
    assert http.post(f"/portal/serena/sessions/{session.pk}/cancel/").status_code == 409


def test_cancelling_inside_the_window_is_late_and_charged_as_the_staff_path(owner, therapist, alice, reiki):
    workspace = owner.workspace
    workspace.late_cancel_fee = {"type": "percent", "value": "50"}
    workspace.save()
    session = _session(alice, therapist, reiki, hours=3)
    http = portal_client(owner, alice)
    page = http.get(f"/portal/serena/sessions/{session.pk}/cancel/").content.decode()
    assert "late cancellation" in page and "R$" in page and "100" in page
    assert http.post(f"/portal/serena/sessions/{session.pk}/cancel/").status_code == 302
    session.refresh_from_db()
    assert session.status == "cancelled" and session.cancellation_late is True
    fee = Payment.objects.get(session=session)
    assert fee.amount == Decimal("100.00")


def test_a_session_that_started_cannot_be_cancelled_or_moved(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=-1)
    http = portal_client(owner, alice)
    assert http.post(f"/portal/serena/sessions/{session.pk}/cancel/").status_code == 409
    assert http.post(
        f"/portal/serena/sessions/{session.pk}/move/", {"starts_at": "", "version": 1}
    ).status_code in (
        409,
        422,
    )
    session.refresh_from_db()
    assert session.status != "cancelled"


# --- moving ----------------------------------------------------------------------------------------


def _portal(alice) -> PortalSession:
    return PortalSession.objects.select_related("workspace", "client").get(client=alice)


def test_moving_to_a_free_time(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=72)
    http = portal_client(owner, alice)
    page = http.get(f"/portal/serena/sessions/{session.pk}/move/")
    assert page.status_code == 200
    visit = selectors.visit_get(_portal(alice), session.pk)
    slots = selectors.move_slots(_portal(alice), visit)
    # The page opens on the first day with a free time (another day is a click away): its last time.
    target = [s for s in slots if s.date() == slots[0].date()][-1]
    assert target.isoformat() in page.content.decode()
    response = http.post(
        f"/portal/serena/sessions/{session.pk}/move/",
        {"starts_at": target.isoformat(), "version": session.version},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    session.refresh_from_db()
    assert session.starts_at == target
    assert AuditEvent.objects.filter(action="portal.move").count() == 1


def test_moving_with_a_stale_version_is_409(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=72)
    http = portal_client(owner, alice)
    visit = selectors.visit_get(_portal(alice), session.pk)
    target = selectors.move_slots(_portal(alice), visit)[0]
    response = http.post(
        f"/portal/serena/sessions/{session.pk}/move/",
        {"starts_at": target.isoformat(), "version": session.version - 1},
    )
    assert response.status_code == 409
    session.refresh_from_db()
    assert session.starts_at != target


def test_moving_to_a_time_taken_meanwhile_is_409(owner, therapist, alice, bruno, reiki):
    session = _session(alice, therapist, reiki, hours=72)
    http = portal_client(owner, alice)
    visit = selectors.visit_get(_portal(alice), session.pk)
    target = selectors.move_slots(_portal(alice), visit)[2]
    SessionFactory(client=bruno, practitioner=therapist, starts_at=target, duration_minutes=60)
    response = http.post(
        f"/portal/serena/sessions/{session.pk}/move/",
        {"starts_at": target.isoformat(), "version": session.version},
    )
    assert response.status_code == 409
    assert b"no longer free" in response.content
    session.refresh_from_db()
    assert session.starts_at != target


def test_a_session_inside_the_window_is_not_moved(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=3)
    http = portal_client(owner, alice)
    assert b"can no longer be moved" in http.get(f"/portal/serena/sessions/{session.pk}/move/").content
    response = http.post(
        f"/portal/serena/sessions/{session.pk}/move/",
        {"starts_at": (session.starts_at + dt.timedelta(days=7)).isoformat(), "version": session.version},
    )
    assert response.status_code == 409


def test_a_move_never_lands_inside_the_window(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=72)
    visit = selectors.visit_get(_portal_for(owner, alice), session.pk)
    slots = selectors.move_slots(_portal(alice), visit)
    assert slots and min(slots) > timezone.now() + dt.timedelta(hours=24)


def _portal_for(owner, alice) -> PortalSession:
    portal_client(owner, alice)
    return _portal(alice)


def test_the_clients_open_forms_are_listed(owner, alice, bruno):
    from atendo.intake.services import consent_document_create, form_request_create

    document = consent_document_create(member=owner, title="Termo de consentimento", text="O texto.")
    mine = form_request_create(
        member=owner, kind="consent", client_id=alice.pk, consent_document_id=document.pk, send_email=False
    ).form_request
    form_request_create(
        member=owner, kind="consent", client_id=bruno.pk, consent_document_id=document.pk, send_email=False
    )
    http = portal_client(owner, alice)
    page = http.get("/portal/serena/home/").content.decode()
    assert "Forms to fill" in page and mine.title in page
    assert page.count('href="' + mine.url.split("?")[0]) == 1
    [listed] = selectors.open_forms(_portal(alice))
    assert listed.url == mine.url


def test_no_forms_section_without_open_forms(owner, alice):
    http = portal_client(owner, alice)
    assert "Forms to fill" not in http.get("/portal/serena/home/").content.decode()


def test_the_move_page_shows_a_few_days_at_a_time(owner, therapist, alice, reiki):
    session = _session(alice, therapist, reiki, hours=72)
    http = portal_client(owner, alice)
    first = http.get(f"/portal/serena/sessions/{session.pk}/move/").content.decode()
    later = re.search(r'href="\?from=([\d-]+)"', first)
    assert later and "Later days" in first and "Earlier days" not in first
    second = http.get(f"/portal/serena/sessions/{session.pk}/move/?from={later.group(1)}").content.decode()
    assert "Earlier days" in second
    assert f'value="{later.group(1)}T' in second  # the times of that page's first day


def test_the_page_takes_the_same_queries_for_many_sessions_and_payments(
    owner, therapist, alice, reiki, django_assert_max_num_queries
):
    http = portal_client(owner, alice)
    PaymentFactory(session=_session(alice, therapist, reiki, hours=-24 * 30))
    with CaptureQueriesContext(connection) as one:
        assert http.get("/portal/serena/home/").status_code == 200
    for days in range(1, 8):
        _session(alice, therapist, reiki, hours=24 * days + 48)
        PaymentFactory(
            session=_session(alice, therapist, reiki, hours=-24 * days),
            status="paid",
            method="pix",
            paid_date="2026-01-05",
        )
    with django_assert_max_num_queries(len(one)):
        assert http.get("/portal/serena/home/").status_code == 200


def test_the_client_sees_their_contact_details_and_no_custom_field(owner, alice):
    alice.phone = "(11) 98888-7777"
    alice.fields = {"queixa": f"{CANARY} field"}
    alice.save()
    page = portal_client(owner, alice).get("/portal/serena/home/").content.decode()
    assert "Alice Souza" in page and "alice@example.com" in page and "(11) 98888-7777" in page
    assert CANARY not in page
