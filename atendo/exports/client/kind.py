"""The "client" kind of export: a client's record (`record.Record`) as JSON, a readable PDF, a
FHIR R4 Bundle, or a ZIP of all three with the attachments' files.

Asking needs `client.read` and a client the member can see (else 404). An export that holds the
client's clinical content — the member may read it — is a sensitive act: a recent sign-in. The
file's name is made of the client's id and the date (never the client's name, which an erasure
request may remove, nor anything clinical).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from atendo.clients.selectors import client_get_for
from atendo.clinical.access import can_read_clinical
from atendo.core.errors import ValidationFailed
from atendo.exports import kinds
from atendo.exports.client import fhir_out, json_out, pdf_out, zip_out
from atendo.exports.client.record import PARTS, Record
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership


def prepare(member: Membership, request: kinds.Request) -> kinds.Prepared:
    require(member, "client.read")
    if request.client_id is None:
        raise ValidationFailed.single("client_id", str(_("Choose the client whose record to export.")))
    if request.options:
        raise ValidationFailed.single(
            f"options.{next(iter(request.options))}", str(_("A client export takes no options."))
        )
    client = client_get_for(member, request.client_id)
    return kinds.Prepared(
        client=client,
        sensitive=can_read_clinical(member, client.pk),
        stem=f"client-{client.pk}-record",
    )


WRITERS = {"json": json_out.write, "pdf": pdf_out.write, "fhir": fhir_out.write, "zip": zip_out.write}


def write(job: kinds.Job) -> None:
    record = Record.load(job.member, job.export.client_id or 0)
    WRITERS[job.format](record, job.out)
    job.withheld |= record.withheld


CLIENT_KIND = kinds.ExportKind(
    name="client",
    label=_("Client record"),
    formats={"json": kinds.JSON, "pdf": kinds.PDF, "fhir": kinds.FHIR, "zip": kinds.ZIP},
    prepare=prepare,
    write=write,
    description=_("A client's record as you may read it: JSON, PDF, FHIR R4, or a ZIP with the attachments."),
    parts=PARTS,
)
