"""The demo steps of therapies and billing."""

from __future__ import annotations

import pytest

from atendo.billing.models import Invoice, Payment
from atendo.fields.models import FieldDefinition
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_demo_therapy_types_payments_and_invoice(owner, therapist):
    from atendo.billing import demo as billing_demo
    from atendo.therapies import demo as therapies_demo

    ctx = {"workspace": owner.workspace, "owner": owner, "therapist": therapist}
    billing_demo.seed(ctx)  # no sessions yet: nothing to do
    assert not Payment.objects.exists()
    therapies_demo.seed(ctx)
    names = [tt.name for tt in ctx["therapy_types"]]
    assert names == ["Reiki", "Constelação Familiar", "Access Bars", "Psicoterapia"]
    reiki = ctx["therapy_types_by_name"]["Reiki"]
    assert str(reiki.default_price) == "150.00"
    assert set(FieldDefinition.objects.filter(therapy_type=reiki).values_list("key", flat=True)) == {
        "chakras",
        "sensations",
    }
    maria = ClientFactory(workspace=owner.workspace, name="Maria")
    joao = ClientFactory(workspace=owner.workspace, name="João")
    for i in range(9):
        SessionFactory(
            client=maria if i % 2 else joao,
            practitioner=therapist,
            therapy_type=ctx["therapy_types"][i % 4],
            days_ago=2 + i * 3,
        )
    billing_demo.seed(ctx)
    statuses = set(Payment.objects.values_list("status", flat=True))
    assert statuses == {"paid", "pending", "overdue"}
    invoice = Invoice.objects.get()
    assert invoice.status == "issued" and invoice.number == 1 and invoice.lines.count() == 2
