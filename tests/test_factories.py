"""The factories build what the services build: default roles, ends_at, status history, the
assignment rule, validated definitions, real bytes on disk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from atendo.clinical.models import ClientPractitioner
from atendo.core.errors import ValidationFailed
from atendo.scheduling.models import SessionStatusChange
from atendo.workspaces.models import Role
from tests.factories import (
    AttachmentFactory,
    ClientFactory,
    EvaluationFactory,
    FieldDefinitionFactory,
    InvoiceFactory,
    MemberFactory,
    PaymentFactory,
    RoleFactory,
    SessionFactory,
    StoredSessionFactory,
    TherapyTypeFactory,
    WorkspaceFactory,
    owner_of,
    png_bytes,
    unsealed,
)

pytestmark = pytest.mark.django_db


def test_a_workspace_has_the_default_roles_and_an_owner():
    workspace = WorkspaceFactory(slug="nova")
    assert set(Role.objects.for_workspace(workspace).values_list("name", flat=True)) == {
        "Owner",
        "Therapist",
        "Assistant",
    }
    assert owner_of(workspace).user.email == "owner@nova.test"


def test_members_take_a_default_or_custom_role():
    workspace = WorkspaceFactory()
    assistant = MemberFactory(workspace=workspace, role="Assistant")
    reception_role = RoleFactory(workspace=workspace, name="Reception", permissions=["client.read"])
    reception = MemberFactory(workspace=workspace, role=reception_role)
    assert assistant.role.name == "Assistant" and not assistant.has_perm("clinical.read_own")
    assert reception.has_perm("client.read") and not reception.has_perm("session.read")
    with pytest.raises(ValidationFailed):
        RoleFactory(workspace=workspace, permissions=["no.such.code"])


def test_a_booked_session_keeps_the_service_invariants(therapist):
    client = ClientFactory(workspace=therapist.workspace)
    session = SessionFactory(client=client, practitioner=therapist, duration_minutes=50, days_ago=2)
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=50)
    assert session.status == "completed" and session.created_by_id == therapist.pk
    history = SessionStatusChange.objects.filter(session=session)
    assert [(c.from_status, c.to_status, c.changed_by_id) for c in history] == [
        ("", "completed", therapist.pk)
    ]
    # Booked by the therapist: booking never widens their own access.
    assert not ClientPractitioner.objects.filter(client=client).exists()
    assert SessionFactory(client=client, practitioner=therapist, days_ago=-3).status == "scheduled"


def test_a_session_booked_by_the_owner_assigns_its_practitioner(owner, therapist):
    client = ClientFactory(workspace=owner.workspace)
    SessionFactory(client=client, practitioner=therapist, by=owner)
    assert list(ClientPractitioner.objects.filter(client=client).values_list("member_id", flat=True)) == [
        therapist.pk
    ]


def test_phase_values_are_validated_and_saved_each_on_its_own(owner):
    FieldDefinitionFactory(workspace=owner.workspace, phase="during", key="mood", type="number")
    client = ClientFactory(workspace=owner.workspace)
    session = SessionFactory(client=client, during={"mood": 7})
    assert unsealed(session, "during_fields") == {"mood": 7} and session.version == 2
    with pytest.raises(ValidationFailed):
        SessionFactory(client=client, during={"mood": "sad"})


def test_a_stored_session_is_a_consistent_row_without_history(owner):
    session = StoredSessionFactory(
        client=ClientFactory(workspace=owner.workspace), notes="n", recorded_at=dt.datetime.now(dt.UTC)
    )
    assert session.ends_at == session.starts_at + dt.timedelta(minutes=60)
    assert not SessionStatusChange.objects.filter(session=session).exists()


def test_field_definitions_go_through_the_definition_checks(owner):
    archived = FieldDefinitionFactory(workspace=owner.workspace, scope="client", key="old", archived=True)
    reiki = TherapyTypeFactory(workspace=owner.workspace, name="Reiki")
    therapy = FieldDefinitionFactory(workspace=owner.workspace, therapy_type=reiki, key="chakra")
    assert archived.archived and archived.phase == ""
    assert therapy.scope == "therapy_type" and therapy.therapy_type_id == reiki.pk
    with pytest.raises(ValidationFailed):
        FieldDefinitionFactory(workspace=owner.workspace, validation={"pattern": r"(a)\1"})


def test_payments_and_invoices_use_the_billing_services(owner, therapist):
    reiki = TherapyTypeFactory(workspace=owner.workspace, default_price=Decimal("150.00"))
    client = ClientFactory(workspace=owner.workspace)
    first = SessionFactory(client=client, practitioner=therapist, therapy_type=reiki, days_ago=3)
    second = SessionFactory(client=client, practitioner=therapist, therapy_type=reiki)
    payment = PaymentFactory(session=first)
    assert (payment.amount, payment.status) == (Decimal("150.00"), "pending")
    assert PaymentFactory(session=second, status="paid", method="pix").paid_date is not None
    invoice = InvoiceFactory(sessions=[first, second], status="issued")
    assert (invoice.number, invoice.total, invoice.status) == (1, Decimal("300.00"), "issued")


def test_evaluations_and_attachments_are_real(owner):
    client = ClientFactory(workspace=owner.workspace)
    evaluation = EvaluationFactory(client=client, title="Inicial")
    assert evaluation.performed_by_id == owner.pk and evaluation.clinical
    image = AttachmentFactory(client=client, name="scan.png", content=png_bytes(), kind="image")
    text = AttachmentFactory(client=client)
    assert (image.content_type, text.content_type) == ("image/png", "text/plain")
    stored = Path(settings.ATTACHMENTS_ROOT) / image.storage_name
    assert unsealed(image, "storage_name") == png_bytes() != stored.read_bytes()  # sealed on disk
    assert not str(stored).startswith(str(Path(settings.BASE_DIR) / "var"))
