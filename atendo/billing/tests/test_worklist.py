"""Money owed: the payments list filters, totals, CSV and marking several paid at once (API and the
worklist page), the client's balance badge and the session page's payment, for every persona."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

from atendo.audit.models import AuditEvent
from atendo.billing.models import Payment
from tests.factories import (
    ClientFactory,
    MemberFactory,
    PaymentFactory,
    RoleFactory,
    SessionFactory,
    StoredSessionFactory,
    TherapyTypeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(workspace, owner, therapist, other_therapist):
    """Four payments: Ana's overdue and pending (Reiki, Theo), Bia's pending (Psicoterapia, Olga),
    Caio's paid by PIX (Reiki, Theo)."""
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    psico = TherapyTypeFactory(workspace=workspace, name="Psicoterapia", default_price=Decimal("200.00"))
    ana = ClientFactory(workspace=workspace, name="Ana Souza", practitioners=[therapist])
    bia = ClientFactory(workspace=workspace, name="=Bia", practitioners=[other_therapist])
    caio = ClientFactory(workspace=workspace, name="Caio", practitioners=[therapist])

    def pay(client, practitioner, therapy, days_ago, **kw):
        session = SessionFactory(
            client=client, practitioner=practitioner, therapy_type=therapy, days_ago=days_ago
        )
        return PaymentFactory(session=session, **kw)

    return {
        "overdue": pay(ana, therapist, reiki, 30, status="overdue", due_date="2026-01-10"),
        "pending": pay(ana, therapist, reiki, 3, status="pending", due_date="2026-03-20"),
        "bia": pay(bia, other_therapist, psico, 2, status="pending", due_date="2026-03-25"),
        "paid": pay(caio, therapist, reiki, 5, status="paid", method="pix"),
        "reiki": reiki,
        "psico": psico,
        "ana": ana,
        "bia_client": bia,
    }


def ids(body):
    return [item["id"] for item in body["items"]]


# --- the list's filters ----------------------------------------------------------------------------


def test_outstanding_sorted_by_due_date_is_the_worklist(api, owner, owed):
    body = api(owner).get("payments", status="outstanding", sort="due_date").json()
    assert ids(body) == [owed["overdue"].pk, owed["pending"].pk, owed["bia"].pk]
    first = body["items"][0]
    assert (first["client_name"], first["practitioner_name"], first["therapy_type_name"]) == (
        "Ana Souza",
        "Theo Therapist",
        "Reiki",
    )
    assert first["receipt_url"] is None


def test_filters_by_practitioner_therapy_type_client_method_and_due_dates(api, owner, therapist, owed):
    client = api(owner)
    assert set(ids(client.get("payments", practitioner_id=therapist.pk).json())) == {
        owed["overdue"].pk,
        owed["pending"].pk,
        owed["paid"].pk,
    }
    assert ids(client.get("payments", therapy_type_id=owed["psico"].pk).json()) == [owed["bia"].pk]
    assert set(ids(client.get("payments", client_id=owed["ana"].pk).json())) == {
        owed["overdue"].pk,
        owed["pending"].pk,
    }
    assert ids(client.get("payments", method="pix").json()) == [owed["paid"].pk]
    window = client.get("payments", status="outstanding", due_from="2026-03-01", due_to="2026-03-21").json()
    assert ids(window) == [owed["pending"].pk]


def test_a_paid_payment_links_its_receipt(api, owner, owed):
    body = api(owner).get(f"payments/{owed['paid'].pk}").json()
    assert body["receipt_url"] == f"/api/v1/workspaces/serena/payments/{owed['paid'].pk}/receipt.pdf"


@pytest.mark.parametrize(
    ("params", "path"),
    [({"status": "owed"}, "status"), ({"sort": "amount"}, "sort"), ({"method": "cheque"}, "method")],
)
def test_an_unknown_filter_value_is_a_422_at_its_parameter(api, owner, params, path):
    response = api(owner).get("payments", **params)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == path


def test_the_list_runs_a_constant_number_of_queries(api, owner, owed, django_assert_max_num_queries):
    client = api(owner)
    client.get("payments", status="outstanding")
    with django_assert_max_num_queries(5) as few:
        client.get("payments", status="outstanding")
    for _ in range(15):
        PaymentFactory(session=StoredSessionFactory(client=owed["ana"], days_ago=4), amount="90.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get("payments", status="outstanding").json()
    assert len(body["items"]) == 18


# --- totals ------------------------------------------------------------------------------------------


def test_totals_per_status_of_the_same_filters(api, owner, therapist, owed):
    body = api(owner).get("payments/totals").json()
    assert body == {
        "currency": "BRL",
        "paid": {"amount": "150.00", "count": 1},
        "pending": {"amount": "350.00", "count": 2},
        "overdue": {"amount": "150.00", "count": 1},
        "outstanding": {"amount": "500.00", "count": 3},
    }
    theo = api(owner).get("payments/totals", practitioner_id=therapist.pk).json()
    assert (theo["outstanding"], theo["paid"]) == (
        {"amount": "300.00", "count": 2},
        {"amount": "150.00", "count": 1},
    )


# --- CSV -----------------------------------------------------------------------------------------------


def test_the_csv_is_the_same_query_with_safe_cells(api, owner, owed):
    response = api(owner).get("payments/export.csv", status="outstanding", sort="due_date")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="payments.csv"'
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0][:3] == ["payment_id", "session_id", "session_date"]
    assert [int(row[0]) for row in table[1:]] == [owed["overdue"].pk, owed["pending"].pk, owed["bia"].pk]
    bia = dict(zip(table[0], table[3], strict=True))
    assert bia["client_name"] == "'=Bia"  # a spreadsheet never runs it as a formula
    assert (bia["amount"], bia["status"], bia["due_date"], bia["therapy_type"]) == (
        "200.00",
        "pending",
        "2026-03-25",
        "Psicoterapia",
    )


# --- mark several paid --------------------------------------------------------------------------------


def test_mark_several_paid_at_once(api, owner, owed):
    chosen = [owed["overdue"].pk, owed["bia"].pk]
    response = api(owner).post(
        "payments/mark-paid", {"payment_ids": chosen, "method": "cash", "paid_date": "2026-03-02"}
    )
    assert response.status_code == 200, response.content
    assert sorted(ids(response.json())) == sorted(chosen)
    for payment in Payment.objects.filter(pk__in=chosen):
        assert (payment.status, payment.method, payment.paid_date) == ("paid", "cash", dt.date(2026, 3, 2))
    assert Payment.objects.get(pk=owed["pending"].pk).status == "pending"
    events = AuditEvent.objects.filter(action="payment.update", object_id__in=[str(pk) for pk in chosen])
    assert events.count() == 2


def test_mark_paid_needs_a_method(api, owner, owed):
    response = api(owner).post("payments/mark-paid", {"payment_ids": [owed["pending"].pk], "method": ""})
    assert response.status_code == 422
    assert [f["path"] for f in response.json()["error"]["fields"]] == ["method"]
    assert Payment.objects.get(pk=owed["pending"].pk).status == "pending"


def test_mark_paid_is_all_or_none(api, owner, owed, outsider):
    foreign = PaymentFactory(session=SessionFactory(practitioner=outsider), amount="70.00")
    response = api(owner).post(
        "payments/mark-paid", {"payment_ids": [owed["pending"].pk, foreign.pk], "method": "pix"}
    )
    assert response.status_code == 422
    assert [f["path"] for f in response.json()["error"]["fields"]] == ["payment_ids[1]"]
    response = api(owner).post(
        "payments/mark-paid", {"payment_ids": [owed["pending"].pk, owed["paid"].pk], "method": "pix"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_paid"
    assert Payment.objects.get(pk=owed["pending"].pk).status == "pending"
    assert Payment.objects.get(pk=foreign.pk).status == "pending"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"payment_ids": [], "method": "pix"}, "payment_ids"),
        ({"payment_ids": [1], "method": "cheque"}, "method"),
        ({"payment_ids": [1], "method": "pix", "paid_date": "02/03/2026"}, "paid_date"),
    ],
)
def test_mark_paid_bad_input(api, owner, body, path):
    response = api(owner).post("payments/mark-paid", body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == path


def test_who_may_mark_paid(api, owner, therapist, assistant, owed, workspace):
    assert (
        api(assistant)
        .post("payments/mark-paid", {"payment_ids": [owed["bia"].pk], "method": "pix"})
        .status_code
        == 200
    )
    assert (
        api(therapist)
        .post("payments/mark-paid", {"payment_ids": [owed["pending"].pk], "method": "pix"})
        .status_code
        == 200
    )
    reader = RoleFactory(workspace=workspace, name="Reader", permissions=["billing.read", "session.read"])
    member = MemberFactory(workspace=workspace, role=reader, email="reader@serena.test")
    response = api(member).post("payments/mark-paid", {"payment_ids": [owed["overdue"].pk], "method": "pix"})
    assert response.status_code == 403
    assert Payment.objects.get(pk=owed["overdue"].pk).status == "overdue"


def test_the_outsider_gets_404(api, outsider, owed):
    client = api(outsider, "serena")
    assert client.get("payments", status="outstanding").status_code == 404
    assert client.get("payments/totals").status_code == 404
    assert client.get("payments/export.csv").status_code == 404
    assert (
        client.post("payments/mark-paid", {"payment_ids": [owed["bia"].pk], "method": "pix"}).status_code
        == 404
    )


# --- the worklist page ----------------------------------------------------------------------------------


def test_the_worklist_page_for_every_persona(page_client, owner, therapist, other_therapist, assistant, owed):
    for member in (owner, therapist, other_therapist, assistant):
        response = page_client(member).get("/w/serena/payments/")
        assert response.status_code == 200
        body = response.content.decode()
        rows = set(re.findall(r'data-payment="(\d+)"', body))
        assert rows == {str(owed[k].pk) for k in ("overdue", "pending", "bia")}  # owed only, by default
        assert 'name="payment"' in body  # every default role may take payments


def test_the_worklist_page_filters_totals_and_csv_link(page_client, owner, therapist, owed):
    response = page_client(owner).get("/w/serena/payments/", {"practitioner": therapist.pk, "status": "all"})
    body = response.content.decode()
    rows = set(re.findall(r'data-payment="(\d+)"', body))
    assert rows == {str(owed[k].pk) for k in ("overdue", "pending", "paid")}
    assert "R$300.00" not in body  # English writes R$ 300.00
    assert "R$ 300.00" in body and "R$ 150.00" in body
    assert (
        f"/api/v1/workspaces/serena/payments/export.csv?practitioner_id={therapist.pk}&amp;sort=due_date"
        in body
    )


def test_the_worklist_page_without_billing_read_is_403(page_client, workspace):
    role = RoleFactory(workspace=workspace, name="Desk", permissions=["session.read", "client.read"])
    member = MemberFactory(workspace=workspace, role=role, email="desk@serena.test")
    assert page_client(member).get("/w/serena/payments/").status_code == 403


def test_the_worklist_page_runs_a_constant_number_of_queries(
    page_client, owner, owed, django_assert_max_num_queries
):
    client = page_client(owner)
    client.get("/w/serena/payments/")
    with django_assert_max_num_queries(25) as few:
        client.get("/w/serena/payments/")
    for _ in range(12):
        PaymentFactory(session=StoredSessionFactory(client=owed["ana"], days_ago=6), amount="90.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/w/serena/payments/").status_code == 200


def test_marking_paid_from_the_page(page_client, assistant, owed):
    client = page_client(assistant)
    response = client.post(
        "/w/serena/payments/mark-paid/",
        {
            "payment": [owed["overdue"].pk, owed["pending"].pk],
            "method": "pix",
            "paid_date": "2026-03-03",
            "next": "/w/serena/payments/?status=overdue",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/w/serena/payments/?status=overdue"
    assert Payment.objects.filter(pk__in=[owed["overdue"].pk, owed["pending"].pk], status="paid").count() == 2
    page = client.get("/w/serena/payments/").content.decode()
    assert "2 payments marked paid (R$ 300.00)." in page


def test_marking_paid_from_the_page_without_a_method_says_so(page_client, assistant, owed):
    client = page_client(assistant)
    response = client.post(
        "/w/serena/payments/mark-paid/", {"payment": [owed["bia"].pk], "method": ""}, follow=True
    )
    assert "Say how it was paid" in response.content.decode()
    assert Payment.objects.get(pk=owed["bia"].pk).status == "pending"


def test_marking_paid_never_redirects_off_site(page_client, assistant, owed):
    response = page_client(assistant).post(
        "/w/serena/payments/mark-paid/",
        {"payment": [owed["bia"].pk], "method": "pix", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/w/serena/payments/"


# --- the client's balance and the session's payment ---------------------------------------------------------


def test_the_client_header_shows_what_they_owe(page_client, owner, assistant, owed):
    detail = page_client(owner).get(f"/w/serena/clients/{owed['ana'].pk}/").content.decode()
    assert f"/w/serena/clients/{owed['ana'].pk}/balance/" in detail
    badge = page_client(assistant).get(f"/w/serena/clients/{owed['ana'].pk}/balance/").content.decode()
    assert "Owes R$ 300.00" in badge and "R$ 150.00 overdue" in badge
    caio = owed["paid"].session.client
    assert "Nothing owed" in page_client(owner).get(f"/w/serena/clients/{caio.pk}/balance/").content.decode()


def test_the_session_page_shows_its_payment(page_client, owner, assistant, owed):
    session = owed["paid"].session
    detail = page_client(assistant).get(f"/w/serena/sessions/{session.pk}/").content.decode()
    assert f"/w/serena/sessions/{session.pk}/payment/" in detail
    partial = page_client(assistant).get(f"/w/serena/sessions/{session.pk}/payment/").content.decode()
    assert "R$ 150.00" in partial and "Receipt (PDF)" in partial
    pending = (
        page_client(assistant).get(f"/w/serena/sessions/{owed['bia'].session_id}/payment/").content.decode()
    )
    assert "Mark paid" in pending


def test_the_session_payment_partial_of_another_workspace_is_404(page_client, outsider, owed):
    client = page_client(outsider)
    assert client.get(f"/w/outra/sessions/{owed['paid'].session_id}/payment/").status_code == 404
    assert client.get(f"/w/serena/sessions/{owed['paid'].session_id}/payment/").status_code == 404
