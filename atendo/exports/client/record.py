"""A client's record as one member may read it: the parts every client-record format writes.

Everything comes through the doors the rest of Atendo uses, as `member`: the client, session,
evaluation, payment and attachment selectors (workspace, permissions) and their serializers, which
redact with `clinical.redact` (and open sealed content for readers only) and note the reads for the
read audit. So a member exports what they may read: without `session.read` no sessions, without
`billing.read` no payments or invoices, and without clinical access to this client no notes,
clinical field values, therapy fields, addenda, clinical evaluations or clinical attachments (the
parts are named in `withheld`, whether the record has any or not: what is withheld never depends on
what is hidden). Private notes are never part of it: only their author reads them, in the app.

Sessions are read in batches (`BATCH`, keyset on start and id), so a long record is written as it
is read; the rest of a client's record is small.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from atendo.billing.api import invoice_json, payment_json
from atendo.billing.selectors import invoices_for, payments_for
from atendo.clients.models import Client
from atendo.clients.selectors import client_get_for
from atendo.clients.serializers import client_to_json, record_clinical_read
from atendo.clinical.access import can_read_clinical
from atendo.evaluations.selectors import evaluations_for, evaluations_to_json
from atendo.fields.models import FieldDefinition, Scope
from atendo.fields.services import definition_to_json
from atendo.files.api import attachment_to_json
from atendo.files.models import Attachment
from atendo.files.selectors import attachment_name, attachments_visible
from atendo.scheduling.selectors import client_history
from atendo.scheduling.serializers import sessions_queryset_to_json
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership

BATCH = 200

# The parts a reader may be left without, by code (the export row and the files list the codes).
PARTS = {
    "sessions": _("Sessions (you cannot see sessions)"),
    "payments": _("Payments (you cannot see payments)"),
    "invoices": _("Invoices (you cannot see invoices)"),
    "notes": _("Session notes"),
    "clinical_fields": _("Clinical field values"),
    "therapy_fields": _("Therapy-specific fields"),
    "addenda": _("Addenda of signed notes"),
    "clinical_evaluations": _("Clinical evaluations"),
    "clinical_attachments": _("Clinical attachments"),
    "missing_files": _("Files missing from the storage (listed, not included)"),
}
CLINICAL_PARTS = (
    "notes",
    "clinical_fields",
    "therapy_fields",
    "addenda",
    "clinical_evaluations",
    "clinical_attachments",
)


def scope_of(member: Membership, client_id: int) -> tuple[list[str], list[str]]:
    """(what an export of this client holds for `member`, the codes of what it leaves out), from
    the member's permissions and clinical access alone (never from the record's content)."""
    included = [str(_("Profile and client fields you may read")), str(_("Field definitions (the forms)"))]
    left_out: list[str] = []
    if member.has_perm("session.read"):
        included.append(str(_("Sessions, with their status and signatures")))
    else:
        left_out.append("sessions")
    included.append(str(_("Evaluations you may read")))
    if member.has_perm("billing.read"):
        included.append(str(_("Payments and invoices")))
    else:
        left_out += ["payments", "invoices"]
    included.append(str(_("The list of attachments (the files themselves in the ZIP)")))
    if can_read_clinical(member, client_id):
        included.append(str(_("Clinical content: notes, clinical fields, therapy fields, addenda")))
    else:
        left_out += list(CLINICAL_PARTS)
    return included, left_out


@dataclass
class Record:
    """A client's record for one reader (build with `Record.load`)."""

    member: Membership
    client: Client
    clinical: bool
    withheld: set[str] = field(default_factory=set)
    _definitions: list[FieldDefinition] | None = None
    _attachments: list[Attachment] | None = None

    @classmethod
    def load(cls, member: Membership, client_id: int) -> Record:
        client = client_get_for(member, client_id)
        record = cls(member=member, client=client, clinical=can_read_clinical(member, client_id))
        record.withheld.update(scope_of(member, client_id)[1])
        return record

    @property
    def workspace(self) -> Any:
        return self.member.workspace

    @property
    def sees_sessions(self) -> bool:
        return self.member.has_perm("session.read")

    @property
    def sees_billing(self) -> bool:
        return self.member.has_perm("billing.read")

    # --- the parts -----------------------------------------------------------------------------

    def client_json(self) -> dict[str, Any]:
        shown = client_to_json(self.member, self.client)
        record_clinical_read(self.member, self.client, shown, self.client_definitions())
        return shown

    def definitions(self) -> list[FieldDefinition]:
        """Every field definition of the workspace (archived too: stored values may use them)."""
        if self._definitions is None:
            self._definitions = list(
                FieldDefinition.objects.for_workspace(self.workspace).order_by(
                    "scope", "therapy_type_id", "phase", "order", "id"
                )
            )
        return self._definitions

    def client_definitions(self) -> list[FieldDefinition]:
        return [d for d in self.definitions() if d.scope == Scope.CLIENT]

    def definitions_json(self) -> dict[str, Any]:
        """The forms needed to read the values: definitions are not content (every member reads
        the forms), so they are all here, whatever was withheld."""
        out: dict[str, Any] = {
            "client": [],
            "session": {"pre": [], "during": [], "post": []},
            "evaluation": [],
        }
        therapy: dict[str, list[dict[str, Any]]] = {}
        for d in self.definitions():
            data = definition_to_json(d)
            if d.scope == Scope.SESSION:
                out["session"].setdefault(d.phase or "pre", []).append(data)
            elif d.scope == Scope.THERAPY_TYPE:
                therapy.setdefault(str(d.therapy_type_id), []).append(data)
            elif d.scope in (Scope.CLIENT, Scope.EVALUATION):
                out[d.scope].append(data)
        out["therapy_types"] = therapy
        return out

    def therapy_types(self) -> list[dict[str, Any]]:
        return [
            {
                "id": t.pk,
                "name": t.name,
                "color": t.color,
                "default_duration_minutes": t.default_duration_minutes,
                "default_price": str(t.default_price) if t.default_price is not None else None,
                "active": t.active,
            }
            for t in TherapyType.objects.for_workspace(self.workspace).order_by("name", "id")
        ]

    def practitioners(self) -> list[Membership]:
        """The members this record names: assigned practitioners, the sessions' practitioners,
        evaluators and signers. Two queries."""
        ids = {a.member_id for a in self.client.assignments.all()}
        if self.sees_sessions:
            ids |= set(
                client_history(self.member, self.client.pk)
                .order_by()
                .values_list("practitioner_id", flat=True)
                .distinct()
            )
        return list(
            Membership.objects.for_workspace(self.workspace)
            .filter(pk__in=ids)
            .select_related("user", "role")
            .order_by("pk")
        )

    def member_names(self) -> dict[int, str]:
        """Every member's name by id (team-member values, signers, authors): one query."""
        return {
            m.pk: m.display_name
            for m in Membership.objects.for_workspace(self.workspace).select_related("user").order_by("pk")
        }

    def sessions(self) -> Iterator[dict[str, Any]]:
        """The client's sessions, oldest first, as the session JSON for this reader."""
        if not self.sees_sessions:
            return
        base = client_history(self.member, self.client.pk)
        last: tuple[dt.datetime, int] | None = None
        while True:
            qs = base
            if last is not None:
                qs = qs.filter(Q(starts_at__gt=last[0]) | Q(starts_at=last[0], pk__gt=last[1]))
            rows = sessions_queryset_to_json(self.member, qs[:BATCH])
            yield from rows
            if len(rows) < BATCH:
                return
            tail = rows[-1]
            last = (dt.datetime.fromisoformat(tail["starts_at"]), tail["id"])

    def evaluations(self) -> list[dict[str, Any]]:
        items, _left_out = evaluations_to_json(
            self.member, list(evaluations_for(self.member, client_id=self.client.pk).order_by("date", "id"))
        )
        return items

    def payments(self) -> list[dict[str, Any]]:
        if not self.sees_billing:
            return []
        qs = payments_for(self.member, client_id=self.client.pk).order_by("due_date", "id")
        return [payment_json(p, self.workspace) for p in qs]

    def invoices(self) -> list[dict[str, Any]]:
        if not self.sees_billing:
            return []
        qs = (
            invoices_for(self.member, client_id=self.client.pk)
            .prefetch_related("lines")
            .order_by("created_at", "id")
        )
        return [invoice_json(i, self.workspace) for i in qs]

    def attachments(self) -> list[Attachment]:
        """The record's attachments this reader may open (the client's, and its sessions' with
        `session.read`), oldest first: one query, and one for the clinical barrier."""
        if self._attachments is None:
            where = Q(client_id=self.client.pk)
            if self.sees_sessions:
                where |= Q(session__client_id=self.client.pk)
            qs = (
                Attachment.objects.for_workspace(self.workspace)
                .filter(where)
                .select_related("session")
                .order_by("created_at", "id")
            )
            visible, _left_out = attachments_visible(self.member, list(qs))
            self._attachments = visible
        return self._attachments

    def attachments_json(self) -> list[dict[str, Any]]:
        return [
            {**attachment_to_json(a, self.workspace.slug), "path": attachment_path(a)}
            for a in self.attachments()
        ]


def attachment_path(attachment: Attachment) -> str:
    """Where the attachment's bytes are in the ZIP: its id, then its name made safe for a file
    system (the name is the attachment's own, which this reader may read)."""
    name = attachment_name(attachment)
    safe = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" .") or "file"
    return f"attachments/{attachment.pk}-{safe[:120]}"
