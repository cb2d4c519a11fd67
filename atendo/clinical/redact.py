"""The clinical barrier's second half: what is removed for a reader who may not see it.

Every door that shows clinical content (the session, client, evaluation and attachment
serializers, the CSV export, the record page, the audit trail, and any feed or report to come)
passes its rows through `redact(member, rows, kind)`. `access.readable_client_ids` decides whose
content the member may read; this module decides which parts of a row are clinical, removes them
for everyone else, and lists what it removed in the row's `withheld`. Withheld content is absent,
never blanked.

Rows are dicts shaped like the kind's JSON (the serializers build them, then redact), with the
client whose record they belong to under the key the kind names:

| kind         | client key           | withheld when the client's clinical content is not readable |
|--------------|----------------------|--------------------------------------------------------------|
| `session`    | `client_id`          | `notes`, `therapy_fields`, clinical `fields.<phase>.<key>`   |
|              |                      | and, on a signed session, its `addenda`                      |
| `client`     | `id`                 | clinical `fields.<key>`                                      |
| `evaluation` | `client_id`          | a clinical evaluation whole; else clinical `values.<key>`    |
| `attachment` | `record_client_id`   | a clinical attachment whole (its name and bytes)             |
| `audit`      | `label_client_id`    | a clinical `object_label` (replaced by "Evaluation #12")     |

(An audit row's clinical label comes as `label_sealed`: the object's stored label, opened only
for its readers; the log itself never holds one.)

`record_client_id` (attachments: the client directly, or through the session) and
`label_client_id` / `label_clinical` (audit events) are facts for the decision, not part of the
JSON: redact removes them from every row it returns.

A custom-field value is administrative only if a definition of its scope (and, for sessions, its
phase) says so; any other key, one without a definition included, is clinical
(`administrative_keys`, which the write side asks too).

Clinical content is stored sealed (`clinical.crypto`): redact opens what a reader may read — the
notes, the sealed values of a readable row, a readable clinical evaluation's title — and only that;
a row withheld is never decrypted. A sealed value is clinical whatever the definitions say (a field
made administrative keeps its values sealed until they are re-sealed): withheld from non-readers.

One call redacts a whole page in a constant number of queries: one for the readable clients (none
when the caller already asked, `readable=`), one for the definitions, only when a withheld row has
field values. The rows are the caller's own: they are changed in place (no copies on the
calendar's hot path) and returned, without the rows withheld whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from django.utils.translation import gettext as _

from atendo.clinical import crypto
from atendo.clinical.access import readable_client_ids
from atendo.fields import engine
from atendo.fields.models import FieldDefinition, Phase, Scope
from atendo.workspaces.models import Membership

Kind = Literal["session", "client", "evaluation", "attachment", "audit"]

SESSION_PHASES: tuple[str, ...] = tuple(Phase.values)
CLIENT_KEY: dict[str, str] = {
    "session": "client_id",
    "client": "id",
    "evaluation": "client_id",
    "attachment": "record_client_id",
    "audit": "label_client_id",
}
# Where a kind keeps custom-field values: (definition scope, the row's key).
_VALUES: dict[str, tuple[str, str]] = {
    "session": (Scope.SESSION, "fields"),
    "client": (Scope.CLIENT, "fields"),
    "evaluation": (Scope.EVALUATION, "values"),
}


class Redacted(list[dict[str, Any]]):
    """The rows a reader may see (each with its `withheld`), and how many were withheld whole."""

    left_out: int = 0


def redact(
    member: Membership,
    rows: Sequence[dict[str, Any]],
    kind: Kind,
    *,
    readable: set[int] | None = None,
) -> Redacted:
    """Remove from `rows` what `member` may not read, in place; see the module docstring.

    `readable`: the answer of `readable_client_ids(member, <the rows' clients>)` when the caller
    already has it (a service that just asked); otherwise it is asked here, once.
    """
    client_key = CLIENT_KEY[kind]
    out = Redacted()
    if not rows:
        return out
    if readable is None:
        readable = readable_client_ids(member, {r[client_key] for r in rows})
    if kind == "session":
        _sessions(member, rows, readable, out)
    elif kind in ("client", "evaluation"):
        _values(member, rows, kind, readable, out)
    elif kind == "attachment":
        _attachments(member, rows, readable, out)
    elif kind == "audit":
        _audit(member, rows, readable, out)
    else:  # pragma: no cover - Kind is closed; an unknown kind must never pass rows through
        raise ValueError(f"Unknown redaction kind {kind!r}")
    return out


def administrative_keys(definitions: Iterable[FieldDefinition], *, phase: str | None = None) -> set[str]:
    """Keys whose values any reader of the record may see: those of administrative definitions
    (of `phase`, for session fields). Every other key, one without a definition included, is
    clinical: this is the one place that says so, for reads (`redact`) and writes alike."""
    return {d.key for d in definitions if not d.clinical and (phase is None or d.phase == phase)}


def _definitions(member: Membership, scope: str) -> list[FieldDefinition]:
    """The scope's definitions, archived ones included (their stored values are still redacted)."""
    return engine.definitions_for(workspace=member.workspace, scope=scope, include_archived=True)


def _sessions(member: Membership, rows: Sequence[dict[str, Any]], readable: set[int], out: Redacted) -> None:
    # The calendar's hot path: a readable row costs one lookup and one assignment.
    definitions: list[FieldDefinition] | None = None
    open_keys: dict[str, set[str]] = {}
    append = out.append
    workspace_id = member.workspace_id
    for r in rows:
        append(r)
        if r["client_id"] in readable:
            r["withheld"] = []
            _open_session(workspace_id, r)
            continue
        withheld = ["notes", "therapy_fields"]
        r.pop("notes", None)
        r.pop("therapy_fields", None)
        if r.pop("addenda", None) is not None and r.get("signed_at"):
            withheld.append("addenda")  # only a signed session has addenda (its signature is public)
        fields = r.get("fields") or {}
        for phase in SESSION_PHASES:
            values = fields.get(phase)
            if not values:
                continue
            if definitions is None:
                definitions = _definitions(member, Scope.SESSION)
            if phase not in open_keys:
                open_keys[phase] = administrative_keys(definitions, phase=phase)
            shown = open_keys[phase]
            fields[phase] = {k: v for k, v in values.items() if k in shown and not crypto.is_sealed(v)}
            withheld += [f"fields.{phase}.{k}" for k in values if k not in fields[phase]]
        r["withheld"] = withheld


def _open_session(workspace_id: int, r: dict[str, Any]) -> None:
    """A readable session row with its sealed parts opened (notes, phase values, therapy fields)."""
    row_id = r["id"]
    if r.get("notes"):
        r["notes"] = crypto.open_text(workspace_id, crypto.SESSION_NOTES, row_id, r["notes"])
    fields = r.get("fields")
    if fields:
        for phase, values in fields.items():
            if values:
                fields[phase] = crypto.open_values(workspace_id, crypto.SESSION_PHASES[phase], row_id, values)
    if r.get("therapy_fields"):
        r["therapy_fields"] = crypto.open_values(
            workspace_id, crypto.SESSION_THERAPY_FIELDS, row_id, r["therapy_fields"]
        )


def _values(
    member: Membership, rows: Sequence[dict[str, Any]], kind: str, readable: set[int], out: Redacted
) -> None:
    scope, key = _VALUES[kind]
    client_key = CLIENT_KEY[kind]
    column = crypto.CLIENT_FIELDS if kind == "client" else crypto.EVALUATION_VALUES
    workspace_id = member.workspace_id
    open_keys: set[str] | None = None
    for r in rows:
        if r[client_key] in readable:
            r["withheld"] = []
            if r.get(key):
                r[key] = crypto.open_values(workspace_id, column, r["id"], r[key])
            if kind == "evaluation" and r["clinical"] and crypto.is_token(r["title"]):
                r["title"] = crypto.open_text(workspace_id, crypto.EVALUATION_TITLE, r["id"], r["title"])
            out.append(r)
            continue
        if kind == "evaluation" and r["clinical"]:
            out.left_out += 1  # a clinical evaluation (its title too) does not exist for this reader
            continue
        values = r.get(key) or {}
        if values:
            if open_keys is None:
                open_keys = administrative_keys(_definitions(member, scope))
            shown = {k: v for k, v in values.items() if k in open_keys and not crypto.is_sealed(v)}
            r[key] = shown
            r["withheld"] = sorted(f"{key}.{k}" for k in values if k not in shown)
        else:
            r["withheld"] = []
        out.append(r)


def _attachments(
    member: Membership, rows: Sequence[dict[str, Any]], readable: set[int], out: Redacted
) -> None:
    for r in rows:
        client_id = r.pop("record_client_id")
        if r["clinical"] and client_id not in readable:
            out.left_out += 1  # its name and its bytes are clinical
            continue
        r["withheld"] = []
        out.append(r)


def neutral_label(object_type: str, object_id: str) -> str:
    """What the trail shows instead of a clinical label: the kind of object and its id."""
    names = {
        "evaluation": _("Evaluation"),
        "attachment": _("Attachment"),
        "session": _("Session"),
        "client": _("Client"),
    }
    name = names.get(object_type) or _("Clinical record")
    return f"{name} #{object_id}" if object_id else name


def _audit(member: Membership, rows: Sequence[dict[str, Any]], readable: set[int], out: Redacted) -> None:
    # A clinical label is not in the log (`audit_record`): the trail hands over the object's own
    # stored label as `label_sealed` (column, row id, stored value), opened here for its readers;
    # an object gone since reads as its kind and id.
    for r in rows:
        client_id = r.pop("label_client_id")
        clinical = r.pop("label_clinical")
        sealed = r.pop("label_sealed", None)
        if clinical and client_id not in readable and not _reads_everything(member):
            r["object_label"] = neutral_label(r["object_type"], r["object_id"])
            r["withheld"] = ["object_label"]
            out.append(r)
            continue
        if clinical and sealed is not None:
            column, row_id, stored = sealed
            if crypto.is_token(stored):
                stored = crypto.open_text(member.workspace_id, column, row_id, stored)
            r["object_label"] = stored
        if clinical and not r["object_label"]:
            r["object_label"] = neutral_label(r["object_type"], r["object_id"])
        r["withheld"] = []
        out.append(r)


def _reads_everything(member: Membership) -> bool:
    """A clinical label whose client is unknown (a file not yet claimed by a record) is readable by
    members who read all clinical content, as the file itself is."""
    return member.has_perm("clinical.read_all")
