"""The read audit: who read which clinical content, written once per request.

Every door that shows clinical content notes it with `read_record(member, kind, ids, client_ids)`:
the session serializer (a session whose notes, addenda, clinical values or therapy fields were
shown), the client serializer (clinical client fields), evaluations, clinical attachment downloads,
private notes, insights and exports. Noting costs nothing but a set update: the reads are collected
on the request (a context variable that `ReadAuditMiddleware` opens around every request, API and
pages alike) and written when it ends, as ONE `clinical.read` event per request and member, linked
into the workspace's hash chain, whatever the number of rows read (a calendar month of 1,700
sessions is one event listing their ids), plus one `AuditEventClient` row per client read, in one
insert, for "who opened this record".

`changes` of the event: `door` (the method and URL pattern: never the query string, which may hold
a search for clinical words), `clients`, and the ids read per kind (`sessions`, `evaluations`,
`attachments`, `private_notes`, `insights`, `exports`) or the keys of the clinical client fields
shown (`client_fields`). Never the content.

Outside a request (a background export, a command), `read_batch(door)` collects and writes the same
way. A read outside any batch is not recorded: a door that shows clinical content outside a request
opens one.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections, router, transaction
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from atendo.audit import chain
from atendo.audit.models import AuditEvent, AuditEventClient

if TYPE_CHECKING:
    from atendo.workspaces.models import Membership

READ_ACTION = "clinical.read"
# What a door may note, and the key of `changes` that lists it.
KINDS = {
    "session": "sessions",
    "evaluation": "evaluations",
    "attachment": "attachments",
    "private_note": "private_notes",
    "insights": "insights",
    "export": "exports",
    "client": "client_fields",  # the keys of the clinical client fields shown
}


@dataclass
class _Reads:
    member: Membership
    clients: set[int] = field(default_factory=set)
    ids: dict[str, set[Any]] = field(default_factory=dict)


@dataclass
class ReadBatch:
    """The reads of one request (or one background job), by (workspace, member)."""

    door: str
    reads: dict[tuple[int, int], _Reads] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.reads)


_current: contextvars.ContextVar[ReadBatch | None] = contextvars.ContextVar("atendo_reads", default=None)


def read_record(
    member: Membership, *, kind: str, ids: Iterable[Any], client_ids: Iterable[int | None]
) -> None:
    """Note that `member` was shown the clinical content `ids` of `kind` (for kind "client", the
    keys of the clinical client fields shown), belonging to the records of `client_ids`."""
    batch = _current.get()
    if batch is None:
        return
    if kind not in KINDS:
        raise ValueError(f"Unknown read kind {kind!r}")
    ids = set(ids)
    clients = {c for c in client_ids if c is not None}
    if not ids and not clients:
        return
    reads = batch.reads.get((member.workspace_id, member.pk))
    if reads is None:
        reads = batch.reads[(member.workspace_id, member.pk)] = _Reads(member)
    reads.clients |= clients
    reads.ids.setdefault(kind, set()).update(ids)


def _event(door: str, reads: _Reads, at: Any) -> AuditEvent:
    member = reads.member
    changes: dict[str, Any] = {"door": door, "clients": sorted(reads.clients)}
    for kind, ids in sorted(reads.ids.items()):
        if ids:
            changes[KINDS[kind]] = sorted(ids)
    object_type = object_id = ""
    client_id = None
    if len(reads.clients) == 1:
        client_id = next(iter(reads.clients))
        object_type, object_id = "client", str(client_id)
    return AuditEvent(
        workspace_id=member.workspace_id,
        actor_id=member.user_id,
        actor_label=member.user.email,
        action=READ_ACTION,
        object_type=object_type,
        object_id=object_id,
        client_id=client_id,
        changes=changes,
        at=at,
    )


def flush(batch: ReadBatch) -> None:
    """Write the batch: one event per (workspace, member), its client rows in one insert."""
    if not batch:
        return
    now = timezone.now()
    pending = list(batch.reads.values())
    batch.reads.clear()
    alias = router.db_for_write(AuditEventClient)
    with transaction.atomic(using=alias, savepoint=False):
        written = [
            (chain.append([_event(batch.door, reads, now)])[0], sorted(reads.clients)) for reads in pending
        ]
        _insert_client_rows(connections[alias], written, now)


def _insert_client_rows(
    connection: Any, written: list[tuple[AuditEvent, list[int]]], at: dt.datetime
) -> None:
    """The `AuditEventClient` rows of the events just written, straight on the cursor: a week of the
    workspace reads ~1,600 clients, and `bulk_create` built and compiled an instance each, more
    than the rest of the request's writes. One INSERT … SELECT per event, its clients given as one
    parameter."""
    written = [(event, clients) for event, clients in written if clients]
    if not written:
        return
    quote = connection.ops.quote_name
    meta = AuditEventClient._meta
    column = {f.attname: f.column for f in meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in ("workspace_id", "event_id", "client_id", "at"))
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns})"
    stored_at = connection.ops.adapt_datetimefield_value(at)
    # The clients as one parameter: an array on PostgreSQL, a JSON array on SQLite (json_each).
    postgresql = connection.vendor == "postgresql"
    select = (
        "SELECT %s, %s, unnest(%s::bigint[]), %s"
        if postgresql
        else "SELECT %s, %s, value, %s FROM json_each(%s)"
    )
    with connection.cursor() as cursor:
        for event, clients in written:
            if postgresql:
                params = [event.workspace_id, event.pk, clients, stored_at]
            else:
                params = [event.workspace_id, event.pk, stored_at, json.dumps(clients)]
            cursor.execute(f"{insert} {select}", params)


@contextmanager
def read_batch(door: str) -> Iterator[ReadBatch]:
    """Collect the reads inside the block and write them when it ends (a background job's batch).
    Inside a request's batch, the reads join it instead."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    batch = ReadBatch(door)
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
    flush(batch)


def _door(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None) if match is not None else None
    return f"{request.method} /{route}" if route else f"{request.method} {request.path}"[:200]


class ReadAuditMiddleware:
    """Opens the request's batch of reads and writes it when the response is ready, or, for a
    streamed response whose rows are read while it streams (the CSV export), when it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        batch = ReadBatch("")
        token = _current.set(batch)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        batch.door = _door(request)
        flush(batch)
        if isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse):
            response.streaming_content = _streamed(response.streaming_content, batch)
        return response


def _streamed(content: Iterable[Any], batch: ReadBatch) -> Iterator[Any]:
    """The response's chunks, each produced inside the request's batch; the reads noted while
    streaming are written when the stream ends (or is closed early)."""
    iterator = iter(content)
    try:
        while True:
            token = _current.set(batch)
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            finally:
                _current.reset(token)
            yield chunk
    finally:
        flush(batch)
