"""The demo steps of fields and clients run on a fresh workspace and leave sensible data."""

from __future__ import annotations

import pytest

from atendo.clients import demo as clients_demo
from atendo.clients.models import Client
from atendo.fields import demo as fields_demo
from atendo.fields.models import FieldDefinition

pytestmark = pytest.mark.django_db


def test_demo_fields_and_clients(owner, therapist):
    ctx = {"workspace": owner.workspace, "owner": owner, "therapist": therapist}
    fields_demo.seed(ctx)
    clients_demo.seed(ctx)
    assert FieldDefinition.objects.filter(scope="session", phase="post", key="follow_up").exists()
    assert FieldDefinition.objects.filter(scope="evaluation").count() >= 3
    assert len(ctx["clients"]) == Client.objects.count() >= 5
    assigned = Client.objects.filter(assignments__member=therapist).count()
    assert 0 < assigned < Client.objects.count()
    assert (
        Client.objects.get(name="Ana Beatriz Souza").fields["emergency_contacts"][0]["relation"] == "Marido"
    )
