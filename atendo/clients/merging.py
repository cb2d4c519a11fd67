"""Duplicates in a client import: which existing client (or earlier row of the file) a row matches
by e-mail, phone or tax id, and what merging the row into that client would fill.

    index = DuplicateIndex(member, tax_id=<the tax-id field a column fills, or None>)
    match = index.find(keys := index.keys(data))      -> Match | None
    plan = merge_plan(member, index, client_id, data, definitions, by_target)
    index.merged(client_id, keys, plan)               -> later rows see what the merge filled

- E-mails compare ignoring case; phones by their last 10 digits (`phone_key`, the digits the
  client model keeps in `phone_digits`); tax ids (a custom client field keyed or labelled CPF,
  CNPJ, tax id, SSN, documento) by their letters and digits, so `123.456.789-09` meets `12345678909`.
- Only what the importing member may read is compared. Every client reader sees names, e-mails
  and phones; a tax-id field marked clinical is compared only with the clients whose clinical
  content the member reads (`clinical.access.readable_client_ids`). For anyone else a match there
  is no match at all: the row is treated as new, exactly as when no client has that value, so the
  answer never depends on content the member cannot read.
- A merge fills only the existing client's empty fields. A value that differs from a non-empty one
  is never overwritten: it is listed as a conflict (the existing value shown when it is not
  clinical). A row carrying clinical values cannot be merged into a client whose clinical record
  the member cannot read (whatever that record holds: the refusal depends on the row only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.access import assigned_ids, readable_clients_q
from atendo.clinical.redact import administrative_keys
from atendo.core.errors import FieldError
from atendo.fields.models import FieldDefinition
from atendo.workspaces.models import Membership

ACTIONS = ("skip", "merge", "create")
# Normalised names (`importing._norm`) of a custom client field that holds a tax id.
TAX_ID_NAMES = frozenset({"cpf", "cnpj", "cpfcnpj", "taxid", "ssn", "documento", "taxnumber"})


def phone_key(digits: str) -> str:
    """What two phone numbers share when they are the same line: the last 10 digits, so
    +55 (11) 98888-7777 meets (11) 98888-7777. Fewer than 8 digits are no phone to compare."""
    return digits[-10:] if len(digits) >= 8 else ""


def tax_id_key(value: Any) -> str:
    """A tax id's letters and digits, case folded ('' when shorter than 5: nothing to compare)."""
    text = value if isinstance(value, str) else str(value or "")
    key = "".join(ch for ch in text.casefold() if ch.isalnum())
    return key if len(key) >= 5 else ""


@dataclass
class Match:
    path: str  # what matched first: "email", "phone" or "fields.<tax id key>"
    client_id: int | None = None  # an existing client...
    row: int | None = None  # ...or an earlier row of the file
    matched: list[str] = field(default_factory=list)  # every path on which it matched


@dataclass
class ExistingClient:
    """What a merge compares of an existing client (its field values as stored: clinical ones
    sealed), kept up to date with what earlier rows of the import merged into it (`merged`)."""

    name: str
    email: str
    phone: str
    birth_date: dt.date | str | None
    fields: dict[str, Any]


class DuplicateIndex:
    """The e-mails, phones and tax ids of the workspace's clients (what `member` may compare) and of
    the rows of the file seen so far. Two queries, whatever the number of clients or rows."""

    def __init__(self, member: Membership, tax_id: FieldDefinition | None):
        self.member = member
        self.tax_path = f"fields.{tax_id.key}" if tax_id is not None else ""
        self.existing: dict[str, dict[str, int]] = {"email": {}, "phone": {}, self.tax_path: {}}
        self.earlier: dict[str, dict[str, int]] = {"email": {}, "phone": {}, self.tax_path: {}}
        self.clients: dict[int, ExistingClient] = {}
        clients = Client.objects.for_workspace(member.workspace)
        # Whose clinical content the member reads: the barrier's own rule, as one query.
        self.readable = set(clients.filter(readable_clients_q(member, "pk")).values_list("pk", flat=True))
        values = clients.order_by("pk").values_list(
            "pk", "name", "email", "phone", "phone_digits", "birth_date", "fields"
        )
        for pk, name, email, phone, digits, birth_date, stored in values:
            self.clients[pk] = ExistingClient(name, email, phone, birth_date, dict(stored or {}))
            if email:
                self.existing["email"].setdefault(email.lower(), pk)
            if phone_key(digits):
                self.existing["phone"].setdefault(phone_key(digits), pk)
            if tax_id is None or not stored or tax_id.key not in stored:
                continue
            if tax_id.clinical:
                if pk not in self.readable:
                    continue  # not the member's to compare: no match, as if it were not there
                value = crypto.open_value(
                    member.workspace_id, crypto.CLIENT_FIELDS, pk, tax_id.key, stored[tax_id.key]
                )
            else:
                value = stored[tax_id.key]
            if tax_id_key(value):
                self.existing[self.tax_path].setdefault(tax_id_key(value), pk)

    def keys(self, data: Mapping[str, Any]) -> dict[str, str]:
        """{path: comparable key} of a row's e-mail, phone and tax id (those it has)."""
        keys = {
            "email": str(data.get("email") or "").strip().lower(),
            "phone": phone_key("".join(ch for ch in str(data.get("phone") or "") if ch.isdigit())),
        }
        if self.tax_path:
            keys[self.tax_path] = tax_id_key((data.get("fields") or {}).get(self.tax_path[len("fields.") :]))
        return {path: key for path, key in keys.items() if key}

    def find(self, keys: Mapping[str, str]) -> Match | None:
        """The existing client the row matches (first by e-mail, then phone, then tax id), else the
        earlier row; None for a new client."""
        for path, key in keys.items():
            pk = self.existing[path].get(key)
            if pk is not None:
                matched = [p for p, k in keys.items() if self.existing[p].get(k) == pk]
                return Match(path=path, client_id=pk, matched=matched)
        for path, key in keys.items():
            row = self.earlier[path].get(key)
            if row is not None:
                matched = [p for p, k in keys.items() if self.earlier[p].get(k) == row]
                return Match(path=path, row=row, matched=matched)
        return None

    def add_row(self, keys: Mapping[str, str], number: int) -> None:
        for path, key in keys.items():
            self.earlier[path].setdefault(key, number)

    def name(self, client_id: int) -> str:
        return self.clients[client_id].name

    def merged(self, client_id: int, keys: Mapping[str, str], plan: MergePlan) -> None:
        """A row merged into `client_id` (or rehearsed, in a dry run): what it filled is the client's
        now, for the next rows — they find the client by it, and never fill it again."""
        for path, key in keys.items():
            self.existing[path].setdefault(key, client_id)
        client = self.clients[client_id]
        for key in ("name", "email", "phone", "birth_date"):
            if key in plan.changes:
                setattr(client, key, plan.changes[key])
        # Plain values beside sealed ones: `crypto.open_value` passes a plain value through.
        client.fields.update(plan.changes.get("fields") or {})


def tax_id_definition(
    definitions: Sequence[FieldDefinition], mapped_keys: Sequence[str], norm: Any
) -> FieldDefinition | None:
    """The custom client field a column fills that holds a tax id (keyed or labelled like one)."""
    for definition in definitions:
        if f"fields.{definition.key}" in mapped_keys and (
            norm(definition.key) in TAX_ID_NAMES or norm(definition.label) in TAX_ID_NAMES
        ):
            return definition
    return None


@dataclass
class MergePlan:
    changes: dict[str, Any]  # `client_update`'s input: the empty fields the row fills
    fills: list[dict[str, str]]  # {path, column} of each of them
    conflicts: list[dict[str, Any]]  # {path, column, existing, file}: kept as they are
    refusal: FieldError | None = None  # why the row cannot be merged at all


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _same_basic(key: str, old: Any, new: Any) -> bool:
    if key == "email":
        return str(old).strip().lower() == str(new).strip().lower()
    if key == "phone":
        digits = ["".join(ch for ch in str(v) if ch.isdigit()) for v in (old, new)]
        return digits[0] == digits[1] or (
            bool(phone_key(digits[0])) and phone_key(digits[0]) == phone_key(digits[1])
        )
    if key == "name":
        return " ".join(str(old).split()).casefold() == " ".join(str(new).split()).casefold()
    if key == "birth_date":
        return (old.isoformat() if hasattr(old, "isoformat") else str(old)) == str(new)
    return bool(old == new)


def merge_plan(
    member: Membership,
    index: DuplicateIndex,
    client_id: int,
    data: Mapping[str, Any],
    definitions: Sequence[FieldDefinition],
    by_target: Mapping[str, str],
) -> MergePlan:
    """What merging a row (`importing._row_data`'s output) into an existing client would do. No
    query (one for the practitioners, when a column gives them)."""
    client = index.clients[client_id]
    plan = MergePlan(changes={}, fills=[], conflicts=[])
    for key in ("name", "email", "phone", "birth_date"):
        new = data.get(key)
        if key not in by_target or _empty(new):
            continue
        old = getattr(client, key)
        if _empty(old):
            plan.changes[key] = new
            plan.fills.append({"path": key, "column": by_target[key]})
        elif not _same_basic(key, old, new):
            plan.conflicts.append(
                {"path": key, "column": by_target[key], "existing": _shown(old), "file": _shown(new)}
            )
    values: Mapping[str, Any] = data.get("fields") or {}
    if values:
        administrative = administrative_keys(definitions)
        clinical = sorted(k for k in values if k not in administrative)
        reads = client_id in index.readable
        if clinical and not reads:
            plan.refusal = FieldError(
                f"fields.{clinical[0]}",
                _(
                    "This row has clinical values, and you cannot read this client's clinical record: "
                    "it cannot be merged. Skip it, or leave the clinical columns out."
                ),
            )
            return plan
        stored = (
            crypto.open_values(member.workspace_id, crypto.CLIENT_FIELDS, client_id, client.fields)
            if reads
            else {k: v for k, v in client.fields.items() if k in administrative}
        )
        filled: dict[str, Any] = {}
        for key, new in values.items():
            old = stored.get(key)
            if _empty(old):
                filled[key] = new
                plan.fills.append({"path": f"fields.{key}", "column": by_target.get(f"fields.{key}", "")})
            elif old != new:
                plan.conflicts.append(
                    {
                        "path": f"fields.{key}",
                        "column": by_target.get(f"fields.{key}", ""),
                        # A clinical value is never shown here (it would be a read of the record).
                        "existing": _shown(old) if key in administrative else None,
                        "file": _shown(new),
                    }
                )
        if filled:
            plan.changes["fields"] = filled
    wanted = data.get("practitioner_ids") or []
    if wanted:
        current = assigned_ids(workspace_id=member.workspace_id, client_id=client_id)
        if set(wanted) - current:
            plan.changes["practitioner_ids"] = sorted(current | set(wanted))
            plan.fills.append({"path": "practitioners", "column": by_target.get("practitioners", "")})
    return plan
