"""A page of search results with snippets: the matching documents (`search.search_page`, readable
clients only, filtered in SQL), then their records read through the serializers for this member
(so through `clinical.redact`), and a verbatim snippet around the first match. A constant number of
queries per page, whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from atendo.clients.models import Client
from atendo.clients.serializers import clients_to_json
from atendo.evaluations.models import Evaluation
from atendo.evaluations.selectors import evaluations_to_json
from atendo.insights import search as searchmod
from atendo.insights.models import DocumentKind
from atendo.scheduling.selectors import sessions_for
from atendo.scheduling.serializers import sessions_queryset_to_json
from atendo.workspaces.models import Membership


def _session_sources(row: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "notes", row.get("notes") or ""
    for phase in ("pre", "during", "post"):
        for key, value in (row.get("fields") or {}).get(phase, {}).items():
            for text in searchmod.strings_in(value):
                yield f"fields.{phase}.{key}", text
    for key, value in (row.get("therapy_fields") or {}).items():
        for text in searchmod.strings_in(value):
            yield f"therapy_fields.{key}", text


def _evaluation_sources(row: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "title", row.get("title") or ""
    for key, value in (row.get("values") or {}).items():
        for text in searchmod.strings_in(value):
            yield f"values.{key}", text


def _client_sources(row: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, value in (row.get("fields") or {}).items():
        for text in searchmod.strings_in(value):
            yield f"fields.{key}", text


def search(
    member: Membership, q: Any, *, cursor: str | None = None, limit: Any = searchmod.DEFAULT_PAGE
) -> tuple[list[dict[str, Any]], str | None]:
    documents, query, next_cursor = searchmod.search_page(member, q, cursor=cursor, limit=limit)
    if not documents:
        return [], next_cursor
    ws = member.workspace
    session_ids = [d.session_id for d in documents if d.session_id is not None]
    evaluation_ids = [d.evaluation_id for d in documents if d.evaluation_id is not None]
    client_ids = {d.client_id for d in documents}
    sessions = (
        {
            r["id"]: r
            for r in sessions_queryset_to_json(member, sessions_for(member).filter(pk__in=session_ids))
        }
        if session_ids
        else {}
    )
    evaluations: dict[int, dict[str, Any]] = {}
    if evaluation_ids:
        items, _left_out = evaluations_to_json(
            member,
            list(
                Evaluation.objects.for_workspace(ws)
                .filter(pk__in=evaluation_ids)
                .select_related("performed_by__user")
            ),
        )
        evaluations = {e["id"]: e for e in items}
    client_rows = list(
        Client.objects.for_workspace(ws).filter(pk__in=client_ids).prefetch_related("assignments")
    )
    names = {c.pk: c.name for c in client_rows}
    wanted_clients = {d.client_id for d in documents if d.kind == DocumentKind.CLIENT}
    clients = {
        c["id"]: c for c in clients_to_json(member, [c for c in client_rows if c.pk in wanted_clients])
    }
    language = ws.language
    out: list[dict[str, Any]] = []
    for d in documents:
        if d.kind == DocumentKind.SESSION and d.session_id is not None:
            row = sessions.get(d.session_id)
            sources = _session_sources(row) if row and "notes" in row else iter(())
        elif d.kind == DocumentKind.EVALUATION and d.evaluation_id is not None:
            row = evaluations.get(d.evaluation_id)
            sources = _evaluation_sources(row) if row else iter(())
        else:
            row = clients.get(d.client_id)
            sources = _client_sources(row) if row else iter(())
        found = searchmod.first_snippet(sources, query, language)
        if found is None:  # nothing readable matches (the record changed since): not a result
            continue
        path, piece = found
        out.append(
            {
                "kind": d.kind,
                "session_id": d.session_id,
                "evaluation_id": d.evaluation_id,
                "client_id": d.client_id,
                "client_name": names.get(d.client_id, ""),
                "date": d.date.isoformat(),
                "path": path,
                "snippet": piece,
            }
        )
    return out, next_cursor
