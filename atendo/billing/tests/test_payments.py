"""Payments: one per session, exact amounts, defaults, the overdue task, balances, access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from atendo.audit.models import AuditEvent
from atendo.billing import services
from atendo.billing.models import Payment
from atendo.workspaces.permissions import DEFAULT_ROLES
from tests.factories import (
    ClientFactory,
    MemberFactory,
    PaymentFactory,
    RoleFactory,
    SessionFactory,
    TherapyTypeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(workspace, therapist):
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(client=client, practitioner=therapist, therapy_type=reiki, days_ago=2)
    return {"reiki": reiki, "client": client, "session": session}


def test_amount_and_due_date_are_prefilled(api, owner, setup):
    owner.workspace.payment_due_days = 10
    owner.workspace.save()
    response = api(owner).post("payments", {"session_id": setup["session"].pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "150.00"
    assert body["status"] == "pending"
    local_day = setup["session"].starts_at.astimezone(owner.workspace.tz).date()
    assert body["due_date"] == (local_day + dt.timedelta(days=10)).isoformat()
    assert body["paid_date"] is None
    assert AuditEvent.objects.filter(action="payment.create").count() == 1


def test_paid_gets_today_and_needs_a_method(api, owner, setup):
    client = api(owner)
    response = client.post("payments", {"session_id": setup["session"].pk, "status": "paid"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "method"
    response = client.post(
        "payments", {"session_id": setup["session"].pk, "status": "paid", "method": "pix", "amount": "99.90"}
    )
    assert response.status_code == 201
    assert response.json()["paid_date"] == timezone.now().astimezone(owner.workspace.tz).date().isoformat()
    assert Payment.objects.get().amount == Decimal("99.90")


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"amount": "-0.01"}, "amount"),
        ({"amount": "1e3x"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": True}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"status": "refunded"}, "status"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"status": "pending", "paid_date": "2026-01-01"}, "paid_date"),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_stored(api, owner, setup, payload, path):
    response = api(owner).post("payments", {"session_id": setup["session"].pk, **payload})
    assert response.status_code == 422, response.content
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
    assert not Payment.objects.exists()


def test_amount_is_required_without_a_priced_therapy_type(api, owner, therapist):
    session = SessionFactory(client=ClientFactory(workspace=owner.workspace), practitioner=therapist)
    response = api(owner).post("payments", {"session_id": session.pk})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "amount"


def test_one_payment_per_session(api, owner, setup):
    client = api(owner)
    assert client.post("payments", {"session_id": setup["session"].pk}).status_code == 201
    response = client.post("payments", {"session_id": setup["session"].pk})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_exists"


def test_update_a_payment(api, owner, setup):
    client = api(owner)
    payment = client.post("payments", {"session_id": setup["session"].pk}).json()
    response = client.patch(f"payments/{payment['id']}", {"status": "paid", "method": "cash"})
    assert response.status_code == 200
    assert response.json()["status"] == "paid"
    response = client.patch(f"payments/{payment['id']}", {"status": "pending"})
    assert response.json()["paid_date"] is None
    response = client.patch(f"payments/{payment['id']}", {"amount": "-5"})
    assert response.status_code == 422
    assert Payment.objects.get().amount == Decimal("150.00")


def test_deleting_the_session_deletes_its_payment(api, owner, setup):
    PaymentFactory(session=setup["session"])
    response = api(owner).delete(f"sessions/{setup['session'].pk}")
    assert response.status_code == 200, response.content
    assert response.json()["deleted"]["payments"] == 1
    assert not Payment.objects.exists()


def test_list_filters_and_cursor_pages(api, owner, therapist, setup, django_assert_max_num_queries):
    other_client = ClientFactory(workspace=owner.workspace, name="João")
    for i in range(5):
        session = SessionFactory(
            client=setup["client"], practitioner=therapist, therapy_type=setup["reiki"], days_ago=3 + i
        )
        PaymentFactory(session=session, status="paid", method="pix")
    PaymentFactory(
        session=SessionFactory(client=other_client, practitioner=therapist, therapy_type=setup["reiki"])
    )
    client = api(owner)
    with django_assert_max_num_queries(6):
        first = client.get("payments", limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    seen = [p["id"] for p in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get("payments", limit=2, cursor=cursor).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 6
    assert len(client.get("payments", status="paid").json()["items"]) == 5
    assert len(client.get("payments", client_id=other_client.pk).json()["items"]) == 1
    assert client.get("payments", cursor="garbage!").status_code == 422
    assert client.get("payments", status="bogus").status_code == 422
    assert client.get("payments", limit=0).status_code == 422


def test_overdue_task_is_idempotent_and_audited_as_the_system(owner, therapist, setup):
    from atendo.billing.tasks import mark_overdue_payments

    late = SessionFactory(
        client=setup["client"], practitioner=therapist, therapy_type=setup["reiki"], days_ago=30
    )
    PaymentFactory(session=late)
    PaymentFactory(session=setup["session"])  # due in 5 days
    result = mark_overdue_payments.enqueue()
    assert result.return_value == 1
    assert Payment.objects.get(session=late).status == "overdue"
    assert Payment.objects.get(session=setup["session"]).status == "pending"
    event = AuditEvent.objects.get(action="payment.overdue")
    assert event.actor is None and event.actor_label == "system"
    assert services.payments_mark_overdue() == 0
    assert AuditEvent.objects.filter(action="payment.overdue").count() == 1


def test_overdue_uses_the_workspace_day(owner, therapist, setup):
    payment = PaymentFactory(session=setup["session"])
    # 02:00 UTC is still the previous evening in São Paulo: the due day has not passed there yet.
    due = payment.due_date
    just_after_midnight_utc = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(2, 0), tzinfo=dt.UTC)
    assert services.payments_mark_overdue(now=just_after_midnight_utc) == 0
    assert services.payments_mark_overdue(now=just_after_midnight_utc + dt.timedelta(hours=2)) == 1


def test_management_command(owner, therapist, setup, capsys):
    late = SessionFactory(
        client=setup["client"], practitioner=therapist, therapy_type=setup["reiki"], days_ago=40
    )
    PaymentFactory(session=late)
    call_command("mark_overdue_payments")
    assert "1 payment(s) marked overdue" in capsys.readouterr().out
    call_command("mark_overdue_payments")
    assert "0 payment(s)" in capsys.readouterr().out


def test_client_balance(api, owner, therapist, setup):
    def pay(days_ago: int, **values: str) -> None:
        session = SessionFactory(
            client=setup["client"], practitioner=therapist, therapy_type=setup["reiki"], days_ago=days_ago
        )
        PaymentFactory(session=session, **values)

    pay(1, status="paid", method="pix", amount="100.10")
    pay(2, status="paid", method="cash", amount="0.20")
    pay(3)
    pay(4, status="overdue", amount="80")
    body = api(owner).get(f"clients/{setup['client'].pk}/balance").json()
    assert body["paid"] == "100.30"
    assert body["pending"] == "150.00"
    assert body["overdue"] == "80.00"
    assert body["outstanding"] == "230.00"
    assert body["counts"] == {"paid": 2, "pending": 1, "overdue": 1}


def test_assistant_takes_payment(api, assistant, setup):
    client = api(assistant)
    response = client.post(
        "payments", {"session_id": setup["session"].pk, "status": "paid", "method": "card"}
    )
    assert response.status_code == 201
    assert client.get(f"clients/{setup['client'].pk}/balance").json()["paid"] == "150.00"


def test_access_is_checked(api, owner, outsider, setup, workspace):
    payment = PaymentFactory(session=setup["session"])
    session_id, client_id = setup["session"].pk, setup["client"].pk
    front_desk = sorted(code for code in DEFAULT_ROLES["Assistant"] if not code.startswith("billing."))
    # A member without billing permissions: 403 on every endpoint.
    client = api(
        MemberFactory(workspace=workspace, role=RoleFactory(workspace=workspace, permissions=front_desk))
    )
    assert client.get("payments").status_code == 403
    assert client.get(f"payments/{payment.pk}").status_code == 403
    assert client.post("payments", {"session_id": session_id}).status_code == 403
    assert client.patch(f"payments/{payment.pk}", {"status": "paid"}).status_code == 403
    assert client.get(f"clients/{client_id}/balance").status_code == 403
    # billing.read without billing.manage: reads, cannot write
    reader = RoleFactory(workspace=workspace, permissions=[*front_desk, "billing.read"])
    client = api(MemberFactory(workspace=workspace, role=reader))
    assert client.get(f"payments/{payment.pk}").status_code == 200
    assert client.patch(f"payments/{payment.pk}", {"status": "paid"}).status_code == 403
    # Outsiders: 404 with our slug; with their own slug, our ids are 404 and the list is theirs (empty).
    ours, theirs = api(outsider, "serena"), api(outsider)
    assert ours.get("payments").status_code == 404
    listed = theirs.get("payments")
    assert listed.status_code == 200 and listed.json()["items"] == []
    for other in (ours, theirs):
        assert other.get(f"payments/{payment.pk}").status_code == 404
        assert other.post("payments", {"session_id": session_id}).status_code == 404
        assert other.patch(f"payments/{payment.pk}", {"status": "paid"}).status_code == 404
        assert other.get(f"clients/{client_id}/balance").status_code == 404
