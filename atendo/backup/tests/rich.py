"""A practice with a bit of everything a backup must carry, built through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from atendo.audit.reads import read_batch, read_record
from atendo.audit.services import audit_record
from atendo.booking.services import booking_settings_update
from atendo.clients.services import client_create
from atendo.intake.services import consent_document_create, form_request_create
from atendo.recording.signing import addendum_add, session_sign
from atendo.reminders.services import reminder_settings_update
from atendo.scheduling.models import Session
from atendo.scheduling.services.create import session_create
from atendo.scheduling.services.phases import session_set_status
from atendo.scheduling.services.private_notes import private_note_save
from atendo.workspaces.models import Membership, Workspace
from tests.factories import (
    AttachmentFactory,
    EvaluationFactory,
    FieldDefinitionFactory,
    InvoiceFactory,
    MemberFactory,
    PaymentFactory,
    SessionFactory,
    TherapyTypeFactory,
    WorkspaceFactory,
    owner_of,
    png_bytes,
)

NOTE = "Relatou melhora do sono; ansiedade menor."


@dataclass
class Rich:
    workspace: Workspace
    owner: Membership
    therapist: Membership
    assistant: Membership
    signed: Session


def build(slug: str = "clinica-rica") -> Rich:
    workspace = WorkspaceFactory(slug=slug, name="Clínica Rica")
    owner = owner_of(workspace)
    therapist = MemberFactory(workspace=workspace, role="Therapist", email=f"terapeuta@{slug}.test")
    assistant = MemberFactory(workspace=workspace, role="Assistant", email=f"assistente@{slug}.test")
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    TherapyTypeFactory(workspace=workspace, name="Constelação", default_price=Decimal("2200.00"))

    FieldDefinitionFactory(workspace=workspace, scope="client", key="cpf", type="text", clinical=False)
    FieldDefinitionFactory(workspace=workspace, scope="client", key="queixa", type="textarea")
    FieldDefinitionFactory(workspace=workspace, scope="client", key="referencia", type="team_member")
    FieldDefinitionFactory(workspace=workspace, scope="client", key="laudo", type="file")
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="pre", key="humor", type="text")
    FieldDefinitionFactory(
        workspace=workspace, scope="session", phase="during", key="dor", type="number", filterable=True
    )
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="post", key="tarefa", type="textarea")
    FieldDefinitionFactory(workspace=workspace, therapy_type=reiki, key="chakras", type="text")
    FieldDefinitionFactory(workspace=workspace, scope="evaluation", key="escala", type="number")

    upload = AttachmentFactory(
        workspace=workspace, by=owner, name="laudo.png", content=png_bytes(), kind="image"
    )
    client = client_create(
        member=owner,
        data={
            "name": "Ana Souza",
            "email": "ana@example.test",
            "phone": "+55 (11) 98765-4321",
            "practitioner_ids": [therapist.pk],
            "fields": {
                "cpf": "123.456.789-09",
                "queixa": NOTE,
                "referencia": therapist.pk,
                "laudo": upload.pk,
            },
        },
    )
    other = client_create(member=owner, data={"name": "Bruno Lima", "practitioner_ids": [owner.pk]})

    series = session_create(
        member=owner,
        client_id=other.pk,
        practitioner_id=owner.pk,
        therapy_type_id=reiki.pk,
        starts_at=(timezone.now() + dt.timedelta(days=3)).replace(microsecond=0),
        duration_minutes=50,
        name="Reiki semanal",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
    ).session
    assert series.series_id is not None

    signed = SessionFactory(
        client=client,
        practitioner=therapist,
        therapy_type=reiki,
        days_ago=5,
        notes=NOTE,
        pre={"humor": "ansiosa"},
        during={"dor": 7},
        post={"tarefa": "Diário do sono"},
    )
    AttachmentFactory(
        session=signed, by=therapist, name="desenho.png", content=png_bytes((5, 5)), kind="image"
    )
    signed = session_sign(member=therapist, session_id=signed.pk, version=signed.version)
    addendum_add(member=therapist, session_id=signed.pk, text="Correção: dor 6, não 7.")
    private_note_save(member=therapist, session_id=signed.pk, text="Só para mim.")
    AttachmentFactory(client=client, by=owner, name="contrato.txt", clinical=False)

    statuses = {}
    for days, status in ((4, "completed"), (3, "cancelled"), (2, "no_show"), (-1, "scheduled")):
        session = SessionFactory(client=client, practitioner=therapist, days_ago=days, pre={"humor": status})
        if status in ("cancelled", "no_show"):
            session = session_set_status(
                member=owner,
                session_id=session.pk,
                status=status,
                version=session.version,
                cancellation={"by": "client", "reason": "Doente"} if status == "cancelled" else None,
            ).session
        statuses[status] = session
    in_progress = SessionFactory(client=other, practitioner=owner, days_ago=0, status="in_progress")

    PaymentFactory(session=signed, status="paid", method="pix", amount="150.00")
    PaymentFactory(session=statuses["completed"], status="pending", amount="120.50")
    PaymentFactory(session=in_progress, status="overdue", amount="2200.00")
    InvoiceFactory(sessions=[signed], status="paid")
    InvoiceFactory(sessions=[statuses["completed"]], status="void")
    InvoiceFactory(sessions=[statuses["completed"]], status="issued")
    InvoiceFactory(sessions=[statuses["scheduled"]], status="draft")
    EvaluationFactory(
        client=client, session=signed, by=therapist, title="Avaliação inicial", values={"escala": 8}
    )
    EvaluationFactory(
        client=other, by=owner, title="Ficha administrativa", clinical=False, values={"escala": 3}
    )

    booking_settings_update(
        member=owner,
        changes={"enabled": True, "therapy_type_ids": [reiki.pk], "practitioner_ids": [therapist.pk]},
    )
    reminder_settings_update(member=owner, changes={"enabled": True, "channels": ["email"]})
    document = consent_document_create(member=owner, title="Termo de consentimento", text="Concordo.")
    form_request_create(member=owner, kind="consent", client_id=client.pk, consent_document_id=document.pk)
    form_request_create(member=owner, kind="client_fields", client_id=client.pk, field_keys=["queixa"])
    audit_record(workspace=workspace, actor=owner, action="client.read", obj=client)
    # A read of clinical content, as the read audit records it (ids of what was shown).
    with read_batch("tests"):
        read_record(therapist, kind="session", ids=[signed.pk], client_ids=[client.pk])
        read_record(therapist, kind="attachment", ids=[upload.pk], client_ids=[client.pk, other.pk])
    return Rich(workspace=workspace, owner=owner, therapist=therapist, assistant=assistant, signed=signed)
