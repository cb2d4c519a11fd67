"""The audit trail as an owner reads it: what happened in words, to what, when (local), and what
changed — instead of `session.fields_save`, `session_id: 136` and UTC ISO strings.

It works on the rows `trail.selectors.events_to_json` already redacted for the reader (the object
labels went through `clinical.redact`), and adds, for the page:

- `action_label`: the action in the reader's language (unknown actions show their code);
- `object_text`: the redacted label, or "Session #136" when the event names none;
- `lines`: the changes as (label, text) with translated keys, ids of clients, members, therapy
  types and sessions turned into their names (one query per kind for the whole page, scoped to
  the workspace; names only — `changes` never hold clinical text), statuses, yes/no, and moments
  and days in the workspace's zone and the reader's format (`core.formats`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from atendo.clients.models import Client
from atendo.core.formats import format_date, format_datetime, format_money
from atendo.scheduling.models import Session, SessionStatus
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership

ACTIONS = {
    "workspace.create": gettext_lazy("Created the workspace"),
    "workspace.update": gettext_lazy("Changed the workspace settings"),
    "member.add": gettext_lazy("Added a member"),
    "member.update": gettext_lazy("Changed a member"),
    "member.remove": gettext_lazy("Removed a member"),
    "member.profile": gettext_lazy("Changed their profile"),
    "role.create": gettext_lazy("Created a role"),
    "role.update": gettext_lazy("Changed a role"),
    "role.delete": gettext_lazy("Deleted a role"),
    "api_token.create": gettext_lazy("Created an API token"),
    "api_token.revoke": gettext_lazy("Revoked an API token"),
    "client.create": gettext_lazy("Added a client"),
    "client.update": gettext_lazy("Changed a client"),
    "client.import": gettext_lazy("Imported clients"),
    "client.archive": gettext_lazy("Archived a client"),
    "client.delete": gettext_lazy("Deleted a client"),
    "client.assign": gettext_lazy("Assigned a practitioner to a client"),
    "client.unassign": gettext_lazy("Took a practitioner off a client"),
    "session.create": gettext_lazy("Booked a session"),
    "session.update": gettext_lazy("Changed a session"),
    "session.delete": gettext_lazy("Deleted a session"),
    "session.status": gettext_lazy("Changed a session's status"),
    "session.fields_save": gettext_lazy("Saved a session's fields"),
    "session.record": gettext_lazy("Recorded a session"),
    "session.cancel": gettext_lazy("Cancelled a session"),
    "session.confirm": gettext_lazy("Confirmed a session"),
    "session.sign": gettext_lazy("Signed a session's notes"),
    "session.addendum": gettext_lazy("Added an addendum"),
    "field.create": gettext_lazy("Created a field"),
    "field.update": gettext_lazy("Changed a field"),
    "field.archive": gettext_lazy("Archived a field"),
    "field.restore": gettext_lazy("Restored a field"),
    "field.reorder": gettext_lazy("Reordered fields"),
    "therapy_type.create": gettext_lazy("Created a therapy type"),
    "therapy_type.update": gettext_lazy("Changed a therapy type"),
    "therapy_type.delete": gettext_lazy("Deleted a therapy type"),
    "payment.create": gettext_lazy("Recorded a payment"),
    "payment.update": gettext_lazy("Changed a payment"),
    "payment.delete": gettext_lazy("Deleted a payment"),
    "payment.overdue": gettext_lazy("A payment became overdue"),
    "payment.mark_paid": gettext_lazy("Marked payments paid"),
    "payment.fee_charge": gettext_lazy("Charged a fee"),
    "payment.fee_void": gettext_lazy("Removed a fee"),
    "invoice.create": gettext_lazy("Drafted an invoice"),
    "invoice.update": gettext_lazy("Changed an invoice"),
    "invoice.issue": gettext_lazy("Issued an invoice"),
    "invoice.paid": gettext_lazy("Marked an invoice paid"),
    "invoice.void": gettext_lazy("Voided an invoice"),
    "invoice.delete": gettext_lazy("Deleted an invoice draft"),
    "attachment.create": gettext_lazy("Attached a file"),
    "attachment.delete": gettext_lazy("Deleted a file"),
    "evaluation.create": gettext_lazy("Added an evaluation"),
    "evaluation.update": gettext_lazy("Changed an evaluation"),
    "evaluation.delete": gettext_lazy("Deleted an evaluation"),
    "clinical.read": gettext_lazy("Read clinical content"),
    "insights.llm_call": gettext_lazy("Asked the language model"),
    "export.create": gettext_lazy("Exported data"),
}

OBJECT_TYPES = {
    "workspace": gettext_lazy("Workspace"),
    "membership": gettext_lazy("Member"),
    "role": gettext_lazy("Role"),
    "apitoken": gettext_lazy("API token"),
    "client": gettext_lazy("Client"),
    "session": gettext_lazy("Session"),
    "fielddefinition": gettext_lazy("Field"),
    "therapytype": gettext_lazy("Therapy type"),
    "payment": gettext_lazy("Payment"),
    "invoice": gettext_lazy("Invoice"),
    "attachment": gettext_lazy("File"),
    "evaluation": gettext_lazy("Evaluation"),
}

KEYS = {
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "birth_date": gettext_lazy("Birth date"),
    "archived": gettext_lazy("Archived"),
    "status": gettext_lazy("Status"),
    "starts_at": gettext_lazy("Starts"),
    "ends_at": gettext_lazy("Ends"),
    "date": gettext_lazy("Date"),
    "start_time": gettext_lazy("Start time"),
    "duration_minutes": gettext_lazy("Duration (minutes)"),
    "actual_duration_minutes": gettext_lazy("Actual duration (minutes)"),
    "client_id": gettext_lazy("Client"),
    "practitioner_id": gettext_lazy("Practitioner"),
    "assigned_practitioner_id": gettext_lazy("Practitioner assigned"),
    "practitioner_ids": gettext_lazy("Practitioners"),
    "therapy_type_id": gettext_lazy("Therapy type"),
    "session_id": gettext_lazy("Session"),
    "session_ids": gettext_lazy("Sessions"),
    "phase": gettext_lazy("Phase"),
    "fields": gettext_lazy("Fields"),
    "keys": gettext_lazy("Fields"),
    "notes": gettext_lazy("Notes"),
    "admin_notes": gettext_lazy("Admin notes"),
    "role": gettext_lazy("Role"),
    "is_active": gettext_lazy("Has access"),
    "offers_sessions": gettext_lazy("Offers sessions"),
    "working_hours": gettext_lazy("Working hours"),
    "permissions": gettext_lazy("Permissions"),
    "amount": gettext_lazy("Amount"),
    "method": gettext_lazy("Method"),
    "due_date": gettext_lazy("Due date"),
    "paid_date": gettext_lazy("Paid on"),
    "number": gettext_lazy("Number"),
    "total": gettext_lazy("Total"),
    "scope": gettext_lazy("Applies to"),
    "other_sessions": gettext_lazy("Other sessions of the series"),
    "occurrences": gettext_lazy("Sessions"),
    "recurrence": gettext_lazy("Repeats"),
    "version": gettext_lazy("Version"),
    "reason": gettext_lazy("Reason"),
    "by": gettext_lazy("By"),
    "late": gettext_lazy("Late"),
}
# Keys whose values are ids of a kind the page names (one query per kind).
ID_KINDS = {
    "client_id": "client",
    "practitioner_id": "member",
    "assigned_practitioner_id": "member",
    "practitioner_ids": "member",
    "therapy_type_id": "therapy_type",
    "session_id": "session",
    "session_ids": "session",
}
STATUS_LABELS = dict(SessionStatus.choices)
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TEXT = 120


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _names(member: Membership, events: Sequence[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """Names of the ids the page's changes mention, by kind: one query per kind present."""
    wanted: dict[str, set[int]] = {kind: set() for kind in set(ID_KINDS.values())}
    for event in events:
        changes = event.get("changes") or {}
        for key, kind in ID_KINDS.items():
            for value in changes.get(key, []) if isinstance(changes.get(key), list) else [changes.get(key)]:
                wanted[kind].update(_ids(value))
    ws = member.workspace_id
    names: dict[str, dict[int, str]] = {kind: {} for kind in wanted}
    if wanted["client"]:
        rows = Client.objects.for_workspace(ws).filter(pk__in=wanted["client"]).values_list("pk", "name")
        names["client"] = dict(rows)
    if wanted["member"]:
        members = Membership.objects.for_workspace(ws).filter(pk__in=wanted["member"]).select_related("user")
        names["member"] = {m.pk: m.display_name for m in members}
    if wanted["therapy_type"]:
        types = TherapyType.objects.for_workspace(ws).filter(pk__in=wanted["therapy_type"])
        names["therapy_type"] = dict(types.values_list("pk", "name"))
    if wanted["session"]:
        sessions = Session.objects.for_workspace(ws).filter(pk__in=wanted["session"])
        found = sessions.values_list("pk", flat=True)
        names["session"] = {pk: _("Session #%(id)d") % {"id": pk} for pk in found}
    return names


def _text(key: str, value: Any, names: dict[str, dict[int, str]], member: Membership) -> str:
    if value is None or value == "" or value == []:
        return "—"
    kind = ID_KINDS.get(key)
    if kind:
        ids = _ids(value)
        if ids:
            # A removed record keeps its number ("#136") rather than a name.
            return ", ".join(names[kind].get(pk, f"#{pk}") for pk in ids)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if key == "status" and value in STATUS_LABELS:
        return str(STATUS_LABELS[value])
    if key in {"amount", "total"} and isinstance(value, (str, int, float)):
        return format_money(value, member.workspace.currency)
    if isinstance(value, str):
        if _ISO_MOMENT.match(value):
            try:
                return format_datetime(dt.datetime.fromisoformat(value), tz=member.workspace.tz)
            except ValueError:
                pass
        if _ISO_DAY.match(value):
            try:
                return format_date(dt.date.fromisoformat(value))
            except ValueError:
                pass
        text = value
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ", ".join(str(KEYS.get(v, v)) for v in value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _lines(changes: Any, names: dict[str, dict[int, str]], member: Membership) -> list[tuple[str, str]]:
    if not isinstance(changes, dict):
        return [("", _text("", changes, names, member))] if changes else []
    lines = []
    for key, value in changes.items():
        label = str(KEYS.get(str(key), str(key).replace("_", " ").capitalize()))
        if isinstance(value, list) and len(value) == 2 and key not in {"practitioner_ids", "session_ids"}:
            old, new = (_text(str(key), v, names, member) for v in value)
            lines.append((label, f"{old} → {new}"))
        else:
            lines.append((label, _text(str(key), value, names, member)))
    return lines


def _object_url(member: Membership, event: dict[str, Any]) -> str | None:
    object_id = str(event.get("object_id") or "")
    if not object_id.isdigit():
        return None
    slug = member.workspace.slug
    if event.get("object_type") == "session" and member.has_perm("session.read"):
        return reverse("scheduling:detail", kwargs={"workspace_slug": slug, "session_id": int(object_id)})
    if event.get("object_type") == "client" and member.has_perm("client.read"):
        return reverse("clients:detail", kwargs={"workspace_slug": slug, "client_id": int(object_id)})
    return None


def readable_events(member: Membership, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's rows: each redacted event with `action_label`, `type_label`, `object_text`,
    `object_url` and `lines`."""
    names = _names(member, events)
    out = []
    for event in events:
        object_type = str(event.get("object_type") or "")
        type_label = str(OBJECT_TYPES.get(object_type, object_type.replace("_", " ").capitalize()))
        number = f" #{event['object_id']}" if event.get("object_id") else ""
        out.append(
            {
                **event,
                "action_label": str(ACTIONS.get(event["action"], event["action"])),
                "type_label": type_label,
                "object_text": event.get("object_label") or (f"{type_label}{number}" if type_label else ""),
                "object_url": _object_url(member, event),
                "lines": _lines(event.get("changes"), names, member),
            }
        )
    return out
