"""Export -> import (a new slug) -> export gives the same content, table by table, once ids are
replaced by stable keys; the restored practice reads, verifies and continues like the original."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from atendo.audit import chain
from atendo.audit.models import AuditEvent
from atendo.backup.tests.canonical import assert_same_content, canonical
from atendo.backup.tests.rich import NOTE, build
from atendo.billing.models import Invoice, InvoiceCounter
from atendo.billing.services import invoice_create, invoice_issue
from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.files.models import Attachment
from atendo.files.selectors import attachment_bytes
from atendo.files.services import attachment_storage
from atendo.recording.signing import signatures_verify
from atendo.scheduling.models import ADDENDUM_TEXT, Session, SessionAddendum, SessionPrivateNote
from atendo.workspaces.models import Membership, Workspace
from tests.factories import SessionFactory, owner_of, png_bytes

pytestmark = pytest.mark.django_db(transaction=False)


def export(slug: str, out: Path) -> Path:
    call_command("export_workspace", workspace=slug, out=str(out))
    return out


@pytest.fixture
def round_trip(tmp_path):
    build("clinica-rica")
    first = export("clinica-rica", tmp_path / "first.zip")
    call_command("import_workspace", file=str(first), slug="restaurada")
    second = export("restaurada", tmp_path / "second.zip")
    return first, second


def test_export_import_export_gives_the_same_content_table_by_table(round_trip):
    first, second = round_trip
    assert_same_content(first, second)
    _workspace, tables, files = canonical(first)
    assert len(files) == 3
    for name in (
        "sessions",
        "session_series",
        "payments",
        "invoices",
        "evaluations",
        "form_requests",
        "audit_event_clients",
    ):
        assert tables[name], name


def test_the_restored_practice_reads_verifies_and_continues(round_trip):
    restored = Workspace.objects.get(slug="restaurada")
    original = Workspace.objects.get(slug="clinica-rica")
    assert restored.pk != original.pk and restored.name == original.name

    # Clinical content sealed with this installation's key for the new rows, and it opens.
    client = Client.objects.for_workspace(restored).get(name="Ana Souza")
    assert crypto.is_sealed(client.fields["queixa"]) and client.fields["cpf"] == "123.456.789-09"
    values = crypto.open_values(restored.pk, crypto.CLIENT_FIELDS, client.pk, client.fields)
    assert values["queixa"] == NOTE
    therapist = Membership.objects.for_workspace(restored).get(user__email="terapeuta@clinica-rica.test")
    assert values["referencia"] == therapist.pk  # ids inside the values are the new ones
    laudo = Attachment.objects.for_workspace(restored).get(pk=values["laudo"])
    assert laudo.client_id == client.pk
    signed = Session.objects.for_workspace(restored).get(signed_at__isnull=False)
    assert crypto.open_text(restored.pk, crypto.SESSION_NOTES, signed.pk, signed.notes) == NOTE
    assert signed.during_fields["dor"]["$bi"]  # a filterable clinical value keeps its blind index
    assert signed.practitioner_id == therapist.pk and signed.signed_by_id == therapist.pk
    addendum = SessionAddendum.objects.for_workspace(restored).get()
    assert crypto.open_text(restored.pk, ADDENDUM_TEXT, addendum.pk, addendum.text).startswith("Correção")
    # Signed sessions stay signed: the signature verifies over the restored record.
    checks = list(signatures_verify(restored.pk))
    assert checks and all(c.ok for c in checks)
    # Files: the same bytes, sealed again where they were.
    for attachment in Attachment.objects.for_workspace(restored):
        with attachment_storage().open(attachment.storage_name, "rb") as handle:
            stored = handle.read()
        assert stored.startswith(crypto.FILE_MAGIC) == attachment.clinical
        if attachment.kind == "image":
            assert attachment_bytes(attachment, stored).startswith(png_bytes()[:8])
    # Private notes stay with their author's original workspace.
    assert not SessionPrivateNote.objects.for_workspace(restored).exists()
    # The audit trail verifies, and the import is its last event.
    report = chain.verify(restored.pk)
    assert report.ok and report.events == AuditEvent.objects.for_workspace(restored).count()
    actions = list(
        AuditEvent.objects.for_workspace(restored).order_by("seq").values_list("action", flat=True)
    )
    assert actions[-2:] == ["backup.import", "backup.export"]  # the fixture exported it again
    # Invoice numbers and the sequence: the next one continues after the archive's last.
    numbers = sorted(
        Invoice.objects.for_workspace(restored).exclude(number=None).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3]
    assert InvoiceCounter.objects.get(workspace=restored).last_number == 3
    owner = owner_of(restored)
    session = SessionFactory(client=client, practitioner=owner)
    invoice = invoice_issue(
        member=owner, invoice_id=invoice_create(member=owner, session_ids=[session.pk]).pk
    )
    assert invoice.number == 4
