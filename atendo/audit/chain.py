"""The audit log is a hash chain per workspace: append-only, and any edit of a stored event shows.

Every event carries its place in its workspace's chain (`seq`: 1, 2, 3…), the hash of the event
before it (`prev_hash`; `GENESIS` for the first) and its own `hash`: SHA-256 of `prev_hash` and a
canonical serialisation of its content (`canonical`). `verify` walks a chain and reports the first
event whose stored content, place or link no longer matches: an edited row, a row deleted from the
middle, or rows swapped, all break it. (A rewrite of the whole chain from the edited row onwards by
someone holding the database is only caught against a copy of the head kept elsewhere: `verify`
prints it, `manage.py verify_audit` too, so a practice can note it down.)

Appending is serialized per workspace, so two writers never link to the same predecessor (which
would fork the chain): PostgreSQL takes a transaction-level advisory lock on the workspace before
reading the head; SQLite's IMMEDIATE transactions (settings) admit one writer at a time already.
`UNIQUE (workspace, seq)` is the last defence: a fork is refused, never stored.

What is hashed: the workspace, seq, the actor's label (the e-mail, kept if the user is deleted),
the action, the object (type, id, label), the client and whether the label is clinical, `changes`
(as JSON stores them) and the time (UTC, microseconds). Not the actor's user id: deleting a user sets
it to NULL (the only change the log accepts, see the migration's triggers), and the label still
names them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection, transaction

if TYPE_CHECKING:
    from atendo.audit.models import AuditEvent


def _model() -> type[AuditEvent]:
    """The model, looked up by name: `audit.models` imports this module."""
    return apps.get_model("audit", "AuditEvent")  # type: ignore[return-value]


GENESIS = "0" * 64
# pg_advisory_xact_lock(classid, objid): the class says "the audit chain", the object the workspace.
_LOCK_CLASS = 0x41554454  # "AUDT"
HASHED = (
    "workspace_id",
    "seq",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "client_id",
    "label_clinical",
    "changes",
    "at",
)


def as_stored(changes: Any) -> Any:
    """`changes` as the JSON column gives them back (tuples are lists, keys are strings), so the
    hash computed before the write is the one recomputed after reading."""
    return json.loads(json.dumps(changes, ensure_ascii=False, default=str))


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(values: dict[str, Any]) -> bytes:
    """The hashed content of an event (`HASHED`, given as a dict of its values), as bytes: JSON
    with sorted keys, no spaces, UTF-8."""
    content = {name: values[name] for name in HASHED}
    content["at"] = _utc(content["at"])
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(prev_hash: str, values: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(values)).hexdigest()


def values_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED}


def lock(workspace_id: int) -> None:
    """Serialize appends to one workspace's chain until the transaction ends (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, workspace_id % 2_147_483_647]
            )


def head(workspace_id: int) -> tuple[int, str]:
    """(seq, hash) of the workspace's last event; (0, GENESIS) for an empty chain."""
    last = (
        _model().objects.filter(workspace_id=workspace_id).order_by("-seq").values_list("seq", "hash").first()
    )
    return last if last is not None else (0, GENESIS)


def append(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Link `events` (unsaved, `at` set, all of one workspace) to the end of their chain and insert
    them in one statement. Inside a transaction: the lock is held until it commits."""
    if not events:
        return []
    workspace_id = events[0].workspace_id
    assert all(e.workspace_id == workspace_id for e in events), "one chain per append"
    # No savepoint of its own: the event is part of the caller's transaction (a refused append fails
    # it whole), and an audited write costs two statements more, not four.
    with transaction.atomic(savepoint=False):
        lock(workspace_id)
        seq, prev = head(workspace_id)
        for event in events:
            seq += 1
            event.changes = as_stored(event.changes)
            event.seq = seq
            event.prev_hash = prev
            event.hash = event_hash(prev, values_of(event))
            prev = event.hash
        return _model().objects.bulk_create(list(events))


# --- verification -------------------------------------------------------------------------------


@dataclass
class Break:
    """Where a chain stops verifying, and why."""

    event_id: int
    seq: int
    reason: str


@dataclass
class ChainReport:
    workspace_id: int
    events: int
    head_seq: int
    head_hash: str
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def _rows(workspace_id: int, chunk: int = 2000) -> Iterator[dict[str, Any]]:
    qs = (
        _model()
        .objects.filter(workspace_id=workspace_id)
        .order_by("seq")
        .values("id", "prev_hash", "hash", *HASHED)
    )
    yield from qs.iterator(chunk_size=chunk)


def verify(workspace_id: int, *, limit: int = 20) -> ChainReport:
    """Recompute one workspace's chain from its first event: every event must sit at the next
    place, link to the hash of the one before, and hash to what it stores. Reads in chunks."""
    breaks: list[Break] = []
    expected_seq, prev, count = 1, GENESIS, 0
    last_hash = GENESIS
    for row in _rows(workspace_id):
        count += 1
        if row["seq"] != expected_seq:
            breaks.append(
                Break(row["id"], row["seq"], f"expected event #{expected_seq} here (missing events)")
            )
        if row["prev_hash"] != prev:
            breaks.append(Break(row["id"], row["seq"], "does not link to the event before it"))
        recomputed = event_hash(row["prev_hash"], row)
        if recomputed != row["hash"]:
            breaks.append(Break(row["id"], row["seq"], "its content was changed after it was written"))
        expected_seq = row["seq"] + 1
        prev = last_hash = row["hash"]
        if len(breaks) >= limit:
            break
    return ChainReport(workspace_id, count, expected_seq - 1, last_hash, breaks)
