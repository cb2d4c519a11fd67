"""Reads of insights: a client's treatment summary and patterns, a session's briefing.

Everything clinical comes through the same doors as the pages: the session serializer and the
evaluation serializer (so through `clinical.redact`), asked for this member. A member who may not
read the client's clinical content gets no text, no theme, no trend, and `withheld` says so;
the administrative facts (attendance, days since the last session, outstanding payments) follow
their own permissions (`session.read`, `billing.read`). Private notes are never read: only a
session's `notes`, phase values and therapy fields are.

The clinical part of a client's insights is cached per client and period (`_cached`), keyed by a
stamp of everything it is computed from (the client's sessions, evaluations, the client, the
field definitions): any write changes the stamp, so a stale answer is never served (no signal to
forget).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.core.cache import cache
from django.db.models import Count, FilteredRelation, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit.reads import read_record
from atendo.billing.selectors import client_payments
from atendo.clients.models import Client
from atendo.clients.selectors import client_get_for
from atendo.clinical.access import can_read_clinical
from atendo.core.errors import ValidationFailed
from atendo.core.times import local_to_utc, parse_optional_date
from atendo.evaluations.models import Evaluation
from atendo.evaluations.selectors import evaluations_for, evaluations_to_json
from atendo.fields.models import FieldDefinition, Scope
from atendo.insights import engine
from atendo.insights import text as textmod
from atendo.scheduling.models import Session
from atendo.scheduling.selectors import client_history, session_get_for
from atendo.scheduling.serializers import sessions_queryset_to_json
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

CLINICAL_PARTS = ("summary", "themes", "trends", "evaluations")
ATTENDED = ("completed", "in_progress")
MISSED = ("cancelled", "no_show")
NUMERIC_TYPES = ("number",)
CACHE_SECONDS = 24 * 3600
PREVIOUS = 3
# Words that make a post-session field or a sentence homework.
_HOMEWORK = re.compile(
    r"homework|assignment|exercise|practi[cs]e|task|tarefa|dever|li[cç][aã]o|exerc[ií]cio|para casa|praticar",
    re.IGNORECASE,
)


def require_insights(member: Membership) -> None:
    require(member, "insights.read", "client.read", "session.read")


# --- the record, as this member may read it ----------------------------------------------------------


@dataclass
class Period:
    start: dt.date | None
    end: dt.date | None

    def key(self) -> str:
        return f"{self.start or ''}:{self.end or ''}"


def parse_period(start: Any, end: Any) -> Period:
    """Optional ISO dates, the end included; 422 at `end` when it comes first."""
    errors: list[Any] = []
    begin = finish = None
    try:
        begin = parse_optional_date(start, path="start")
    except ValidationFailed as exc:
        errors += exc.fields
    try:
        finish = parse_optional_date(end, path="end")
    except ValidationFailed as exc:
        errors += exc.fields
    if errors:
        raise ValidationFailed(errors)
    if begin and finish and finish < begin:
        raise ValidationFailed.single("end", _("The end of the period must not be before its start."))
    return Period(begin, finish)


def _sessions_qs(member: Membership, client_id: int, period: Period) -> Any:
    qs = client_history(member, client_id)
    tz = member.workspace.tz
    if period.start:
        qs = qs.filter(
            starts_at__gte=local_to_utc(dt.datetime.combine(period.start, dt.time()), tz, path="start")
        )
    if period.end:
        after = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
        qs = qs.filter(starts_at__lt=local_to_utc(after, tz, path="end"))
    return qs


def _local_day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso[:10])


def stamp(member: Membership, client_id: int) -> str:
    """Changes whenever anything insights are computed from changes (one query)."""
    ws = member.workspace_id
    # The sessions joined on the workspace too, so the (workspace, client, start) index is searched
    # on both columns: on the client alone PostgreSQL walked the whole index (90 ms at 1M sessions).
    row = (
        Client.objects.filter(workspace_id=ws, pk=client_id)
        .annotate(own_sessions=FilteredRelation("sessions", condition=Q(sessions__workspace_id=ws)))
        .aggregate(
            client_at=Max("updated_at"),
            session_count=Count("own_sessions", distinct=True),
            session_at=Max("own_sessions__updated_at"),
            session_top=Max("own_sessions__id"),
        )
    )
    other = (
        Evaluation.objects.for_workspace(ws)
        .filter(client_id=client_id)
        .aggregate(n=Count("id"), at=Max("updated_at"), top=Max("id"))
    )
    definitions = FieldDefinition.objects.for_workspace(ws).aggregate(n=Count("id"), at=Max("updated_at"))
    raw = repr((row, other, definitions))
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def noted(
    member: Membership,
    client_id: int,
    *,
    sessions: Iterable[int | None] = (),
    evaluations: Iterable[int] = (),
) -> None:
    """Note the read (the read audit, `audit.reads`) of insights over `client_id` and of the sessions
    and evaluations they quote. Called on every answer, cached or not: a cache hit reads no
    serializer, so it would otherwise go unrecorded."""
    read_record(member, kind="insights", ids=[client_id], client_ids=[client_id])
    session_ids = {i for i in sessions if i is not None}
    if session_ids:
        read_record(member, kind="session", ids=session_ids, client_ids=[client_id])
    evaluation_ids = set(evaluations)
    if evaluation_ids:
        read_record(member, kind="evaluation", ids=evaluation_ids, client_ids=[client_id])


def _cached(member: Membership, client_id: int, name: str, compute: Callable[[], Any]) -> Any:
    key = f"insights:{member.workspace_id}:{client_id}:{name}:{stamp(member, client_id)}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    return found


def _definitions(member: Membership) -> dict[str, list[FieldDefinition]]:
    """Session, therapy-type and evaluation field definitions (archived too: stored values stay)."""
    out: dict[str, list[FieldDefinition]] = {"session": [], "therapy_type": [], "evaluation": []}
    for d in FieldDefinition.objects.for_workspace(member.workspace).filter(
        scope__in=[Scope.SESSION, Scope.THERAPY_TYPE, Scope.EVALUATION]
    ):
        out[d.scope].append(d)
    return out


def _number(definition: FieldDefinition, value: Any, scales: dict[int, bool] | None = None) -> float | None:
    """The value of a number field, or of a scale (a choice whose options are all numbers).
    `scales`: definition id -> is it a scale, filled as asked (for a call over many rows)."""
    if isinstance(value, bool):
        return None
    if definition.type == "number" and isinstance(value, int | float):
        return float(value)
    if definition.type == "select" and isinstance(value, str):
        if scales is None:
            scale = _is_scale(definition)
        elif definition.pk in scales:
            scale = scales[definition.pk]
        else:
            scale = scales[definition.pk] = _is_scale(definition)
        if scale:
            return float(value)
    return None


def _is_scale(definition: FieldDefinition) -> bool:
    values = [str(o.get("value", "")) for o in definition.options or []]
    return bool(values) and all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in values)


# --- the clinical part -------------------------------------------------------------------------------


def _notes(member: Membership, sessions: list[dict[str, Any]]) -> list[engine.Note]:
    return engine.notes_of(
        ((s["id"], _local_day(s["starts_at"]), s.get("notes") or "") for s in sessions),
        member.workspace.language,
    )


def _trends(
    definitions: dict[str, list[FieldDefinition]],
    sessions: list[dict[str, Any]],
    evaluations: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    series: dict[str, dict[str, Any]] = {}
    scales: dict[int, bool] = {}

    def add(path: str, label: str, point: dict[str, Any]) -> None:
        series.setdefault(path, {"path": path, "label": label, "points": []})["points"].append(point)

    for s in sessions:
        day = _local_day(s["starts_at"]).isoformat()
        for d in definitions["session"]:
            value = _number(d, (s.get("fields") or {}).get(d.phase, {}).get(d.key), scales)
            if value is not None:
                add(
                    f"fields.{d.phase}.{d.key}", d.label, {"session_id": s["id"], "date": day, "value": value}
                )
        for d in definitions["therapy_type"]:
            if d.therapy_type_id != s.get("therapy_type_id"):
                continue
            value = _number(d, (s.get("therapy_fields") or {}).get(d.key), scales)
            if value is not None:
                add(f"therapy_fields.{d.key}", d.label, {"session_id": s["id"], "date": day, "value": value})
    for e in sorted(evaluations, key=lambda e: (e["date"], e["id"])):
        for d in definitions["evaluation"]:
            value = _number(d, (e.get("values") or {}).get(d.key), scales)
            if value is not None:
                add(
                    f"evaluations.values.{d.key}",
                    d.label,
                    {
                        "session_id": e["session_id"],
                        "evaluation_id": e["id"],
                        "date": e["date"],
                        "value": value,
                    },
                )
    out = []
    for item in series.values():
        points = item["points"]
        if len(points) < 2:
            continue
        shape = engine.trend([p["value"] for p in points])
        out.append({**item, **shape})
    return out


def _clinical_insights(
    member: Membership, client: Client, period: Period, sessions_qs: Any
) -> dict[str, Any]:
    sessions = sessions_queryset_to_json(member, sessions_qs)
    evaluations = _evaluations(member, client.pk, period)
    definitions = _definitions(member)
    notes = _notes(member, sessions)
    names = {textmod.fold(w.lower()) for w in textmod.words(client.name)}
    themes = [t for t in engine.themes(notes) if not set(t.key) <= names]
    return {
        "summary": [
            {"text": q.text, "session_id": q.session_id, "date": q.date.isoformat()}
            for q in engine.summarize(notes)
        ],
        "themes": [{"term": t.term, "count": t.count, "session_ids": t.session_ids} for t in themes],
        "trends": _trends(definitions, sessions, evaluations),
        "evaluations": [
            {
                "id": e["id"],
                "date": e["date"],
                "title": e["title"],
                "session_id": e["session_id"],
                "scores": _scores(definitions, e),
            }
            for e in evaluations
        ],
        # What was read to compute it (the read audit notes it on every answer, cached or not).
        "_read": {"sessions": [s["id"] for s in sessions], "evaluations": [e["id"] for e in evaluations]},
    }


def _evaluations(member: Membership, client_id: int, period: Period) -> list[dict[str, Any]]:
    qs = evaluations_for(member, client_id=client_id)
    if period.start:
        qs = qs.filter(date__gte=period.start)
    if period.end:
        qs = qs.filter(date__lte=period.end)
    items, _left_out = evaluations_to_json(member, list(qs.order_by("date", "id")))
    return items


# --- the administrative part -------------------------------------------------------------------------


def attendance(member: Membership, rows: Iterable[tuple[str, dt.datetime, bool]]) -> dict[str, Any]:
    """Counts by status (late cancellations apart), the attendance rate and the mean interval in
    days between attended sessions. `rows`: (status, starts_at, cancelled late) oldest first."""
    tz = member.workspace.tz
    now = timezone.now()
    counts: Counter[str] = Counter()
    attended_days: list[dt.date] = []
    late = 0
    first = last = None
    for status, starts_at, cancelled_late in rows:
        counts[status] += 1
        day = starts_at.astimezone(tz).date()
        first = first or day
        if starts_at <= now:
            last = day
        if status in ATTENDED:
            attended_days.append(day)
        if status == "cancelled" and cancelled_late:
            late += 1
    held = counts["completed"] + counts["in_progress"]
    due = held + counts["cancelled"] + counts["no_show"]
    gaps = [(b - a).days for a, b in pairwise(attended_days)]
    return {
        "total": sum(counts.values()),
        "completed": counts["completed"],
        "in_progress": counts["in_progress"],
        "scheduled": counts["scheduled"],
        "cancelled": counts["cancelled"],
        "late_cancelled": late,
        "no_show": counts["no_show"],
        "rate": round(held / due, 3) if due else None,
        "mean_interval_days": round(sum(gaps) / len(gaps), 1) if gaps else None,
        "first_date": first.isoformat() if first else None,
        "last_date": last.isoformat() if last else None,
    }


def _attendance_rows(qs: Any) -> list[tuple[str, dt.datetime, bool]]:
    return list(qs.order_by("starts_at", "id").values_list("status", "starts_at", "cancellation_late"))


def outstanding(member: Membership, client_id: int) -> dict[str, Any]:
    """Pending and overdue payments of the client: how many, how much (a decimal string)."""
    row = (
        client_payments(member.workspace, client_id)
        .filter(status__in=["pending", "overdue"])
        .aggregate(count=Count("id"), amount=Sum("amount"), overdue=Count("id", filter=Q(status="overdue")))
    )
    amount = Decimal(row["amount"] or 0).quantize(Decimal("0.01"))
    return {
        "count": row["count"],
        "overdue": row["overdue"],
        "amount": str(amount),
        "currency": member.workspace.currency,
    }


# --- the answers -------------------------------------------------------------------------------------


def client_insights(
    member: Membership, client_id: int, *, start: Any = None, end: Any = None
) -> dict[str, Any]:
    """`GET clients/{id}/insights`: summary, themes, trends, attendance, withheld."""
    require_insights(member)
    period = parse_period(start, end)
    client = client_get_for(member, client_id)
    out: dict[str, Any] = {
        "client_id": client.pk,
        "start": period.start.isoformat() if period.start else None,
        "end": period.end.isoformat() if period.end else None,
    }
    sessions_qs = _sessions_qs(member, client.pk, period)
    if can_read_clinical(member, client.pk):
        clinical = _cached(
            member,
            client.pk,
            f"insights:{period.key()}",
            lambda: _clinical_insights(member, client, period, sessions_qs),
        )
        clinical = dict(clinical)
        read = clinical.pop("_read")
        out.update(clinical)
        out["withheld"] = []
        noted(member, client.pk, sessions=read["sessions"], evaluations=read["evaluations"])
    else:
        out.update({part: [] for part in CLINICAL_PARTS})
        out["withheld"] = list(CLINICAL_PARTS)
    out["attendance"] = attendance(member, _attendance_rows(sessions_qs))
    return out


def session_briefing(member: Membership, session_id: int) -> dict[str, Any]:
    """`GET sessions/{id}/briefing`: what to know before this session starts."""
    require_insights(member)
    session = session_get_for(member, session_id)
    client_id = session.client_id
    tz = member.workspace.tz
    today = timezone.now().astimezone(tz).date()
    this_day = session.starts_at.astimezone(tz).date()
    before = (
        client_history(member, client_id)
        .filter(Q(starts_at__lt=session.starts_at) | Q(starts_at=session.starts_at, pk__lt=session.pk))
        .exclude(pk=session.pk)
    )
    attended = list(
        before.filter(status__in=ATTENDED)
        .order_by("-starts_at", "-id")
        .values_list("starts_at", flat=True)[:1]
    )
    out: dict[str, Any] = {
        "session_id": session.pk,
        "client_id": client_id,
        "starts_at": session.starts_at.astimezone(tz).isoformat(timespec="seconds"),
        "days_since_last": (this_day - attended[0].astimezone(tz).date()).days if attended else None,
        "previous": [],
        "follow_ups": [],
        "last_evaluation": None,
        "withheld": [],
    }
    if member.has_perm("billing.read"):
        out["outstanding"] = outstanding(member, client_id)
    else:
        out["outstanding"] = None
        out["withheld"].append("outstanding")
    if not can_read_clinical(member, client_id):
        out["withheld"] += ["previous", "follow_ups", "last_evaluation"]
        return out

    def compute() -> dict[str, Any]:
        recent = list(before.exclude(status__in=MISSED).order_by("-starts_at", "-id")[:PREVIOUS])
        rows = sessions_queryset_to_json(member, Session.objects.filter(pk__in=[s.pk for s in recent]))
        rows.sort(key=lambda r: r["starts_at"], reverse=True)
        previous = []
        for r in rows:
            notes = _notes(member, [r])
            lines = engine.note_summary(notes[0]) if notes else []
            previous.append(
                {
                    "session_id": r["id"],
                    "date": _local_day(r["starts_at"]).isoformat(),
                    "status": r["status"],
                    "summary": lines,
                }
            )
        definitions = _definitions(member)
        follow_ups, dated_ids = _follow_ups(member, definitions, before, rows[0] if rows else None, today)
        last_evaluation = _last_evaluation(member, definitions, client_id, this_day)
        return {
            "previous": previous,
            "follow_ups": follow_ups,
            "last_evaluation": last_evaluation,
            "_read": {
                "sessions": [r["id"] for r in rows] + dated_ids,
                "evaluations": [last_evaluation["id"]] if last_evaluation else [],
            },
        }

    found = dict(_cached(member, client_id, f"briefing:{session.pk}:{today.isoformat()}", compute))
    read = found.pop("_read")
    out.update(found)
    noted(member, client_id, sessions=read["sessions"], evaluations=read["evaluations"])
    return out


def _follow_ups(
    member: Membership,
    definitions_of: dict[str, list[FieldDefinition]],
    before: Any,
    last: dict[str, Any] | None,
    today: dt.date,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Open follow-ups: post-phase dates still ahead (from any earlier session), and the homework of
    the last session (its post-phase homework fields, and the note's sentences that give homework);
    and the ids of the sessions read for the dates."""
    definitions = [d for d in definitions_of["session"] if d.phase == "post"]
    dated = [d for d in definitions if d.type in ("date", "datetime")]
    out: list[dict[str, Any]] = []
    read: list[int] = []
    if dated:
        lookups = Q()
        for d in dated:
            lookups |= Q(**{"post_fields__has_key": d.key})
        rows = sessions_queryset_to_json(member, before.filter(lookups))
        read = [r["id"] for r in rows]
        for r in rows:
            post = r["fields"].get("post", {})
            for d in dated:
                raw = post.get(d.key)
                if not isinstance(raw, str):
                    continue
                due = dt.date.fromisoformat(raw[:10])
                if due >= today:
                    out.append(
                        {"text": d.label, "due": due.isoformat(), "session_id": r["id"], "kind": "date"}
                    )
    if last is not None:
        post = last["fields"].get("post", {})
        for d in definitions:
            value = post.get(d.key)
            is_text = d.type in ("text", "textarea") and isinstance(value, str) and value.strip()
            if is_text and (_HOMEWORK.search(d.key) or _HOMEWORK.search(d.label)):
                out.append({"text": value.strip(), "due": None, "session_id": last["id"], "kind": "homework"})
        for sentence in textmod.sentences(last.get("notes") or ""):
            if _HOMEWORK.search(sentence.text):
                out.append({"text": sentence.text, "due": None, "session_id": last["id"], "kind": "note"})
    out.sort(key=lambda f: (f["due"] is None, f["due"] or ""))
    return out, read


def _last_evaluation(
    member: Membership, definitions: dict[str, list[FieldDefinition]], client_id: int, until: dt.date
) -> dict[str, Any] | None:
    qs = evaluations_for(member, client_id=client_id).filter(date__lte=until).order_by("-date", "-id")[:1]
    items, _left_out = evaluations_to_json(member, list(qs))
    if not items:
        return None
    e = items[0]
    return {
        "id": e["id"],
        "date": e["date"],
        "title": e["title"],
        "session_id": e["session_id"],
        "scores": _scores(definitions, e),
    }


def _scores(
    definitions: dict[str, list[FieldDefinition]], evaluation: dict[str, Any]
) -> list[dict[str, Any]]:
    """The number and scale values of an evaluation (as the serializer gave it), with their labels."""
    labels = {d.key: d for d in definitions["evaluation"]}
    scores = []
    for key, value in (evaluation.get("values") or {}).items():
        d = labels.get(key)
        number = _number(d, value) if d is not None else None
        if number is not None and d is not None:
            scores.append({"key": key, "label": d.label, "value": number})
    return scores


def client_notes(member: Membership, client_id: int) -> list[engine.Note]:
    """Every note of the client this member may read (none when they may not), oldest first."""
    require_insights(member)
    client = client_get_for(member, client_id)
    if not can_read_clinical(member, client.pk):
        return []
    notes: list[engine.Note] = _cached(
        member,
        client.pk,
        "notes",
        lambda: _notes(member, sessions_queryset_to_json(member, client_history(member, client.pk))),
    )
    # Every note is read to answer (the read audit notes it, cached or not).
    noted(member, client.pk, sessions=[n.session_id for n in notes])
    return notes
