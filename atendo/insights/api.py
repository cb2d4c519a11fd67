"""API: insights over a client's record — summary and patterns, the pre-session briefing, search
across notes, questions, and the progress report PDF. `insights.read` on top of the clinical
barrier: what a member may not read is absent and named in `withheld`."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from atendo.core.api_schemas import Id, InputSchema
from atendo.core.pagination import DEFAULT_PAGE
from atendo.insights import reports, search_results, selectors, services
from atendo.workspaces.api_auth import api_member

router = Router(tags=["insights"])
PREFIX = "/workspaces/{workspace_slug}"


class Quoted(Schema):
    text: str = Field(description="A sentence quoted verbatim from the session's notes")
    session_id: int | None
    date: str


class ThemeOut(Schema):
    term: str
    count: int = Field(description="In how many sessions it appears")
    session_ids: list[int]


class PointOut(Schema):
    session_id: int | None
    evaluation_id: int | None = None
    date: str
    value: float


class TrendOut(Schema):
    path: str = Field(description="fields.<phase>.<key>, therapy_fields.<key> or evaluations.values.<key>")
    label: str
    direction: Literal["up", "down", "flat"]
    change: float = Field(description="The fitted change over the period, in the field's unit")
    first: float | None
    last: float | None
    points: list[PointOut]


class AttendanceOut(Schema):
    total: int
    completed: int
    in_progress: int
    scheduled: int
    cancelled: int
    late_cancelled: int
    no_show: int
    rate: float | None = Field(description="Held / (held + cancelled + no-show)")
    mean_interval_days: float | None
    first_date: str | None
    last_date: str | None


class ScoreOut(Schema):
    key: str
    label: str
    value: float


class EvaluationRef(Schema):
    id: int
    date: str
    title: str
    session_id: int | None
    scores: list[ScoreOut] = Field(default_factory=list, description="Its number and scale values")


class InsightsOut(Schema):
    client_id: int
    start: str | None
    end: str | None
    summary: list[Quoted]
    themes: list[ThemeOut]
    trends: list[TrendOut]
    evaluations: list[EvaluationRef]
    attendance: AttendanceOut
    withheld: list[str]


class PreviousOut(Schema):
    session_id: int
    date: str
    status: str
    summary: list[str] = Field(description="A line or two quoted from the session's notes")


class FollowUpOut(Schema):
    text: str
    due: str | None
    session_id: int
    kind: Literal["date", "homework", "note"]


class OutstandingOut(Schema):
    count: int
    overdue: int
    amount: str = Field(description="Pending and overdue, a decimal string")
    currency: str


class LastEvaluationOut(Schema):
    id: int
    date: str
    title: str
    session_id: int | None
    scores: list[ScoreOut]


class BriefingOut(Schema):
    session_id: int
    client_id: int
    starts_at: str
    previous: list[PreviousOut]
    follow_ups: list[FollowUpOut]
    outstanding: OutstandingOut | None
    days_since_last: int | None
    last_evaluation: LastEvaluationOut | None
    withheld: list[str]


class SearchItem(Schema):
    kind: Literal["session", "evaluation", "client"]
    session_id: int | None
    evaluation_id: int | None
    client_id: int
    client_name: str
    date: str
    path: str = Field(description="Where the match is: notes, fields.post.<key>, values.<key>, …")
    snippet: str


class SearchList(Schema):
    items: list[SearchItem]
    next_cursor: str | None


class AskIn(InputSchema):
    question: str = Field(min_length=1, max_length=services.MAX_QUESTION)


class Citation(Schema):
    session_id: int | None
    text: str
    date: str


class AskOut(Schema):
    answer: str
    citations: list[Citation]
    engine: Literal["local", "language_model"]
    notice: str | None
    withheld: list[str]


@router.get(PREFIX + "/clients/{client_id}/insights", response=InsightsOut)
def client_insights(
    request: HttpRequest, workspace_slug: str, client_id: Id, start: str | None = None, end: str | None = None
) -> Any:
    """A client's treatment summary (sentences quoted from the notes, each with its session),
    recurring themes, trends of number and scale fields and evaluation scores, and attendance,
    over `start`…`end` (ISO dates, both optional, the end included)."""
    member = api_member(request, workspace_slug)
    return selectors.client_insights(member, client_id, start=start, end=end)


@router.get(PREFIX + "/sessions/{session_id}/briefing", response=BriefingOut)
def session_briefing(request: HttpRequest, workspace_slug: str, session_id: Id) -> Any:
    """Before a session: the last sessions in a line or two, open follow-ups and homework,
    outstanding payments, days since the last session, the latest evaluation."""
    member = api_member(request, workspace_slug)
    return selectors.session_briefing(member, session_id)


@router.get(PREFIX + "/search", response=SearchList)
def notes_search(
    request: HttpRequest, workspace_slug: str, q: str, cursor: str | None = None, limit: int = DEFAULT_PAGE
) -> Any:
    """Search the notes, clinical field values and evaluations the member may read (every word must
    match, by lemma: "dormiu" finds "dormir"). Newest first; snippets quoted from the record."""
    member = api_member(request, workspace_slug)
    items, next_cursor = search_results.search(member, q, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post(PREFIX + "/clients/{client_id}/ask", response=AskOut)
def client_ask(request: HttpRequest, workspace_slug: str, client_id: Id, payload: AskIn) -> Any:
    """A question over the client's notes: the most relevant sentences with their sessions, or,
    with the workspace's language model switched on, a written answer citing them."""
    member = api_member(request, workspace_slug)
    return services.client_ask(member=member, client_id=client_id, question=payload.question).as_json()


@router.get(PREFIX + "/clients/{client_id}/progress-report.pdf", response={200: None})
def progress_report_pdf(
    request: HttpRequest, workspace_slug: str, client_id: Id, start: str | None = None, end: str | None = None
) -> HttpResponse:
    """The progress report as a PDF (application/pdf), in the reader's language."""
    member = api_member(request, workspace_slug)
    return reports.pdf_response(member, client_id, start=start, end=end)
