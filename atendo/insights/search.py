"""Search across the clinical content a reader may read — without a plaintext index.

Design (it must keep working once notes are encrypted at rest, so no word of a note may sit in the
database in the clear):

1. Index: each record's text (a session's notes, phase values and therapy fields; an evaluation's
   title and values; a client's field values) is normalised — words, lower case, lemmatised with
   simplemma in the note's language, accents folded, stop words dropped — and every lemma becomes
   a keyed token: HMAC-SHA256 with the workspace's index key (`keys.index_key`), 64 bits written as
   16 letters (letters only, so FTS5 and PostgreSQL's parser keep each one whole). The tokens are
   stored sorted (word order is not kept) in `SearchDocument.tokens`, which SQLite indexes with FTS5
   and PostgreSQL with a GIN index on `to_tsvector('simple', tokens)`.
2. Query: the words of `q` go through the same normalisation, in both languages (a query does not
   say which), each word matching any of its lemmas' tokens (under every live key, while a key
   rotation runs); every word must match.
3. Access: the documents are filtered to the clients whose clinical content the member may read,
   in the same SQL (`clinical.access.readable_clients_q`), before ordering and pagination: for a
   non-reader a hidden match and no match give the same (empty) answer.
4. Snippets are cut at answer time from the record as the serializers give it to this member (so
   through `clinical.redact`), never from the index.

The services that write clinical content call `clinical.changes.content_changed`, which lands in
`reindex_changed`; `manage.py reindex_search` rebuilds everything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.access import readable_clients_q
from atendo.clinical.changes import ContentChange
from atendo.core.clean import clean_text
from atendo.core.errors import ValidationFailed
from atendo.core.pagination import DEFAULT_PAGE, Keyset, check_limit
from atendo.evaluations.models import Evaluation
from atendo.insights import text as textmod
from atendo.insights.keys import index_key, query_keys
from atendo.insights.models import DocumentKind, SearchDocument
from atendo.scheduling.models import PHASES, Session
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

MAX_QUERY = 200
MAX_QUERY_WORDS = 12
SNIPPET = 90  # characters either side of the first match
ORDER = Keyset("date", descending=True)
_LETTERS = "abcdefghijklmnop"


# --- tokens -----------------------------------------------------------------------------------------


def token(key: bytes, lemma: str) -> str:
    """The keyed token of a lemma: 64 bits of HMAC-SHA256, as 16 letters a–p."""
    digest = hmac.new(key, lemma.encode(), hashlib.sha256).digest()[:8]
    return "".join(_LETTERS[b >> 4] + _LETTERS[b & 15] for b in digest)


def strings_in(value: Any) -> Iterator[str]:
    """Every text inside a field value (nested lists and objects too); numbers and flags carry none."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings_in(inner)


def tokens_of(key: bytes, texts: Iterable[str], default_lang: str) -> str:
    """The sorted, space-separated keyed tokens of `texts` (with repeats: frequency ranks)."""
    body = "\n".join(t for t in texts if t)
    if not body.strip():
        return ""
    lang = textmod.detect_language(body, default_lang)
    found = [token(key, lemma) for lemma in textmod.index_lemmas(body, lang)]
    return " ".join(sorted(found))


# --- indexing ---------------------------------------------------------------------------------------
# The indexer is the system, not a member: it opens the sealed content of the records it was told
# about (`clinical.crypto`), turns it into tokens and lets the plaintext go; nobody is shown anything.


def _session_texts(
    workspace_id: int, pk: int, notes: str, phases: dict[str, Any], therapy: dict[str, Any]
) -> list[str]:
    texts = [crypto.open_text(workspace_id, crypto.SESSION_NOTES, pk, notes or "")]
    for phase in PHASES:
        texts += strings_in(
            crypto.open_values(workspace_id, crypto.SESSION_PHASES[phase], pk, phases.get(phase))
        )
    texts += strings_in(crypto.open_values(workspace_id, crypto.SESSION_THERAPY_FIELDS, pk, therapy))
    return texts


def _evaluation_texts(e: Evaluation) -> list[str]:
    title = e.title or ""
    if e.clinical and crypto.is_token(title):
        title = crypto.open_text(e.workspace_id, crypto.EVALUATION_TITLE, e.pk, title)
    values = crypto.open_values(e.workspace_id, crypto.EVALUATION_VALUES, e.pk, e.values)
    return [title, *strings_in(values)]


def _save(workspace: Workspace, lookup: dict[str, Any], values: dict[str, Any]) -> None:
    if not values["tokens"]:
        SearchDocument.objects.for_workspace(workspace).filter(**lookup).delete()
        return
    updated = SearchDocument.objects.for_workspace(workspace).filter(**lookup).update(**values)
    if not updated:
        SearchDocument.objects.create(workspace=workspace, **lookup, **values)


def index_sessions(workspace: Workspace, session_ids: Iterable[int]) -> None:
    ids = list(session_ids)
    found = Session.objects.for_workspace(workspace).filter(pk__in=ids)
    tz = workspace.tz
    key = index_key(workspace.pk)
    seen = set()
    for s in found:
        phases = {phase: s.phase_values(phase) for phase in PHASES}
        texts = _session_texts(workspace.pk, s.pk, s.notes, phases, s.therapy_fields)
        seen.add(s.pk)
        _save(
            workspace,
            {"session_id": s.pk},
            {
                "kind": DocumentKind.SESSION,
                "client_id": s.client_id,
                "date": s.starts_at.astimezone(tz).date(),
                "tokens": tokens_of(key, texts, workspace.language),
            },
        )
    gone = set(ids) - seen
    if gone:
        SearchDocument.objects.for_workspace(workspace).filter(session_id__in=gone).delete()


def index_evaluations(workspace: Workspace, evaluation_ids: Iterable[int]) -> None:
    ids = list(evaluation_ids)
    key = index_key(workspace.pk)
    seen = set()
    for e in Evaluation.objects.for_workspace(workspace).filter(pk__in=ids):
        seen.add(e.pk)
        _save(
            workspace,
            {"evaluation_id": e.pk},
            {
                "kind": DocumentKind.EVALUATION,
                "client_id": e.client_id,
                "date": e.date,
                "tokens": tokens_of(key, _evaluation_texts(e), workspace.language),
            },
        )
    gone = set(ids) - seen
    if gone:
        SearchDocument.objects.for_workspace(workspace).filter(evaluation_id__in=gone).delete()


def index_clients(workspace: Workspace, client_ids: Iterable[int]) -> None:
    key = index_key(workspace.pk)
    for c in Client.objects.for_workspace(workspace).filter(pk__in=list(client_ids)):
        _save(
            workspace,
            {"client_id": c.pk, "kind": DocumentKind.CLIENT},
            {
                "date": c.created_at.astimezone(workspace.tz).date(),
                "tokens": tokens_of(
                    key,
                    strings_in(crypto.open_values(workspace.pk, crypto.CLIENT_FIELDS, c.pk, c.fields)),
                    workspace.language,
                ),
            },
        )


def reindex_changed(change: ContentChange) -> None:
    """The listener of `clinical.changes`: reindex what was written, drop what went away."""
    workspace = Workspace.objects.get(pk=change.workspace_id)
    if change.session_ids:
        index_sessions(workspace, change.session_ids)
    if change.evaluation_ids:
        index_evaluations(workspace, change.evaluation_ids)
    if change.client_ids:
        index_clients(workspace, change.client_ids)


def reindex_workspace(workspace: Workspace, *, batch: int = 2000) -> int:
    """Rebuild a workspace's whole index (`manage.py reindex_search`). How many documents."""
    SearchDocument.objects.for_workspace(workspace).delete()
    tz = workspace.tz
    language = workspace.language
    memo: dict[str, str] = {}  # the same text (templated notes) is normalised once
    count = 0
    pending: list[SearchDocument] = []

    def flush() -> None:
        nonlocal count
        SearchDocument.objects.bulk_create(pending)
        count += len(pending)
        pending.clear()

    sessions = (
        Session.objects.for_workspace(workspace)
        .order_by("pk")
        .values_list(
            "pk",
            "client_id",
            "starts_at",
            "notes",
            "pre_fields",
            "during_fields",
            "post_fields",
            "therapy_fields",
        )
    )
    key = index_key(workspace.pk)
    for pk, client_id, starts_at, notes, pre, during, post, therapy in sessions.iterator(chunk_size=batch):
        phases = {"pre": pre or {}, "during": during or {}, "post": post or {}}
        body = "\n".join(t for t in _session_texts(workspace.pk, pk, notes, phases, therapy or {}) if t)
        if not body.strip():
            continue
        if body not in memo:
            if len(memo) > 50_000:
                memo.clear()
            memo[body] = tokens_of(key, [body], language)
        if memo[body]:
            pending.append(
                SearchDocument(
                    workspace=workspace,
                    client_id=client_id,
                    session_id=pk,
                    kind=DocumentKind.SESSION,
                    date=starts_at.astimezone(tz).date(),
                    tokens=memo[body],
                )
            )
        if len(pending) >= batch:
            flush()
    flush()
    index_evaluations(workspace, Evaluation.objects.for_workspace(workspace).values_list("pk", flat=True))
    index_clients(workspace, Client.objects.for_workspace(workspace).values_list("pk", flat=True))
    return count + SearchDocument.objects.for_workspace(workspace).exclude(kind=DocumentKind.SESSION).count()


# --- querying ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A cleaned query: per word, the lemmas it may stand for."""

    text: str
    groups: tuple[frozenset[str], ...]

    @property
    def lemmas(self) -> frozenset[str]:
        return frozenset().union(*self.groups) if self.groups else frozenset()


def parse_query(q: Any, *, path: str = "q") -> Query:
    """`q` -> its words' lemmas (in Portuguese and English); 422 at `path` when nothing is left."""
    text = clean_text(q, path, max_length=MAX_QUERY)
    groups: list[frozenset[str]] = []
    for word in textmod.words(text)[:MAX_QUERY_WORDS]:
        options = set()
        for lang in textmod.LANGUAGES:
            options.update(textmod.index_lemmas(word, lang))
        # A word that is a function word in either language ("de", "the") is not searched for.
        if options and not any(
            textmod.fold(word.lower()) in textmod.FUNCTION_WORDS[lang] for lang in textmod.LANGUAGES
        ):
            groups.append(frozenset(options))
    if not groups:
        raise ValidationFailed.single(
            path, _("Type at least one word to search for (common words like 'the' or 'de' are ignored).")
        )
    return Query(text, tuple(dict.fromkeys(groups)))


def _match(qs: QuerySet[SearchDocument], workspace_id: int, query: Query) -> QuerySet[SearchDocument]:
    keys = query_keys(workspace_id)
    groups = [sorted({token(key, lemma) for key in keys for lemma in group}) for group in query.groups]
    if connection.vendor == "postgresql":
        expression = " & ".join("(" + " | ".join(g) + ")" for g in groups)
        return qs.extra(
            where=["to_tsvector('simple', insights_searchdocument.tokens) @@ to_tsquery('simple', %s)"],
            params=[expression],
        )
    expression = " AND ".join("(" + " OR ".join(g) + ")" for g in groups)
    matching = RawSQL(
        "SELECT rowid FROM insights_search_fts WHERE insights_search_fts MATCH %s", [expression]
    )
    return qs.filter(pk__in=matching)


def documents_matching(member: Membership, query: Query) -> QuerySet[SearchDocument]:
    """The member's readable documents matching `query` (readable clients only, in SQL)."""
    require(member, "insights.read", "session.read", "client.read")
    qs = SearchDocument.objects.for_workspace(member.workspace).filter(readable_clients_q(member))
    return _match(qs, member.workspace_id, query)


def search_page(
    member: Membership, q: Any, *, cursor: str | None = None, limit: Any = DEFAULT_PAGE
) -> tuple[list[SearchDocument], Query, str | None]:
    """One page of matching documents, newest first: (documents, query, next cursor)."""
    query = parse_query(q)
    limit = check_limit(limit)
    window = ORDER.window(documents_matching(member, query), cursor, limit)
    rows, next_cursor = ORDER.cut(
        list(window.only("id", "kind", "client_id", "session_id", "evaluation_id", "date")), limit
    )
    return rows, query, next_cursor


def snippet(text: str, query: Query, lang: str) -> str | None:
    """A verbatim piece of `text` around its first word matching `query`, or None."""
    wanted = query.lemmas
    for match in textmod.WORD.finditer(text):
        word = match.group()
        lemmas = {textmod.lemma(word, lang), textmod.lemma(word, "pt"), textmod.lemma(word, "en")}
        if not lemmas & wanted:
            continue
        start = max(0, match.start() - SNIPPET)
        end = min(len(text), match.end() + SNIPPET)
        if start > 0:  # begin at a word, never inside one
            space = text.find(" ", start, match.start())
            start = space + 1 if space != -1 else match.start()
        if end < len(text):
            space = text.rfind(" ", match.end(), end)
            end = space if space != -1 else match.end()
        piece = text[start:end].strip()
        return ("… " if start > 0 else "") + piece + (" …" if end < len(text) else "")
    return None


def first_snippet(
    sources: Iterable[tuple[str, str]], query: Query, default_lang: str
) -> tuple[str, str] | None:
    """(path, snippet) of the first source (path, text) that matches."""
    for path, text in sources:
        if not text:
            continue
        piece = snippet(text, query, textmod.detect_language(text, default_lang))
        if piece:
            return path, piece
    return None


def day(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
