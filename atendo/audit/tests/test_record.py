"""`audit_record` takes the clinical facts of a label from the object, so no caller can forget."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.clients.services import client_create
from atendo.evaluations.services import evaluation_create
from atendo.trail.selectors import events_to_json

pytestmark = pytest.mark.django_db


def test_an_evaluation_event_carries_its_client_and_a_clinical_label(owner):
    client = client_create(member=owner, data={"name": "Carla"})
    evaluation = evaluation_create(member=owner, data={"client_id": client.pk, "title": "Sigiloso"})
    event = AuditEvent.objects.get(action="evaluation.create", object_id=str(evaluation.pk))
    # The clinical title is sealed at rest, so the append-only log never stores it: the trail opens
    # the evaluation's own (sealed) title for a reader of the client's clinical content.
    assert (event.client_id, event.label_clinical, event.object_label) == (client.pk, True, "")
    [shown] = events_to_json(owner, [event])
    assert (shown["object_label"], shown["withheld"]) == ("Sigiloso", [])


def test_a_client_event_label_is_not_clinical(owner):
    client = client_create(member=owner, data={"name": "Carla"})
    event = AuditEvent.objects.get(action="client.create", object_id=str(client.pk))
    assert event.label_clinical is False
