"""Insights pages: the client's Progress tab (summary, themes, trends, attendance, questions), the
progress report (page and PDF), the pre-session briefing and the notes search. Thin: each reads
through the same selectors and services as the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from atendo.clients.selectors import client_get_for
from atendo.core.errors import ValidationFailed
from atendo.core.http import PageRequest
from atendo.insights import reports, search_results, selectors, services
from atendo.workspaces.pages import workspace_page

PERMISSIONS = ("insights.read", "client.read", "session.read")


def _period(request: PageRequest) -> tuple[str | None, str | None, list[str]]:
    """The period of the query string (ISO dates); a bad date is reported, not a 500."""
    start = request.GET.get("start") or None
    end = request.GET.get("end") or None
    try:
        selectors.parse_period(start, end)
    except ValidationFailed as exc:
        return None, None, [f.message for f in exc.fields]
    return start, end, []


def _chart_data(trends: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the charts script draws (labels and values only)."""
    return [
        {
            "id": f"trend-{i}",
            "label": t["label"],
            "labels": [p["date"] for p in t["points"]],
            "values": [p["value"] for p in t["points"]],
        }
        for i, t in enumerate(trends)
    ]


def _session_links(workspace_slug: str, ids: list[int | None]) -> dict[int, str]:
    return {
        i: reverse("scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": i})
        for i in ids
        if i is not None
    }


def _progress_context(request: PageRequest, workspace_slug: str, client_id: int) -> dict[str, Any]:
    member = request.member
    start, end, errors = _period(request)
    insights = selectors.client_insights(member, client_id, start=start, end=end)
    ids = [s["session_id"] for s in insights["summary"]]
    ids += [i for t in insights["themes"] for i in t["session_ids"]]
    for trend in insights["trends"]:
        trend["direction_label"] = reports.direction_label(trend["direction"])
    return {
        "nav": "clients",
        "client": client_get_for(member, client_id),
        "insights": insights,
        "charts": _chart_data(insights["trends"]),
        "links": _session_links(workspace_slug, ids),
        "start": start or "",
        "end": end or "",
        "errors": errors,
        "period": reports.period_label(insights),
        "query": request.GET.urlencode(),
    }


@workspace_page(*PERMISSIONS)
def client_progress(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    context = _progress_context(request, workspace_slug, client_id)
    template = "insights/_progress.html" if request.htmx else "insights/progress.html"
    return render(request, template, context)


@require_POST
@workspace_page(*PERMISSIONS)
def client_ask(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    client = client_get_for(member, client_id)
    question = request.POST.get("question", "")
    context: dict[str, Any] = {"client": client, "question": question}
    try:
        answer = services.client_ask(member=member, client_id=client.pk, question=question)
    except ValidationFailed as exc:
        context["error"] = exc.message
        status = 422
    else:
        context["answer"] = answer
        context["links"] = _session_links(workspace_slug, [c["session_id"] for c in answer.citations])
        status = 200
    template = "insights/_answer.html" if request.htmx else "insights/answer.html"
    return render(request, template, {"nav": "clients", **context}, status=status)


@workspace_page(*PERMISSIONS)
def progress_report(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    context = _progress_context(request, workspace_slug, client_id)
    context["generated"] = dt.datetime.now(dt.UTC)
    return render(request, "insights/report.html", context)


@workspace_page(*PERMISSIONS)
def progress_report_pdf(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    start, end, _errors = _period(request)
    return reports.pdf_response(request.member, client_id, start=start, end=end)


@workspace_page(*PERMISSIONS)
def session_briefing(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    member = request.member
    briefing = selectors.session_briefing(member, session_id)
    ids = [p["session_id"] for p in briefing["previous"]] + [f["session_id"] for f in briefing["follow_ups"]]
    context = {
        "nav": "sessions",
        "briefing": briefing,
        "links": _session_links(workspace_slug, ids),
        "session_url": reverse(
            "scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": session_id}
        ),
    }
    template = "insights/_briefing.html" if request.htmx else "insights/briefing.html"
    return render(request, template, context)


@workspace_page(*PERMISSIONS)
def notes_search(request: PageRequest, workspace_slug: str) -> HttpResponse:
    member = request.member
    q = request.GET.get("q", "").strip()
    items: list[dict[str, Any]] = []
    next_cursor = None
    error = ""
    if q:
        try:
            items, next_cursor = search_results.search(member, q, cursor=request.GET.get("cursor") or None)
        except ValidationFailed as exc:
            error = exc.message
    for item in items:
        if item["session_id"]:
            item["url"] = reverse(
                "scheduling:detail",
                kwargs={"workspace_slug": workspace_slug, "session_id": item["session_id"]},
            )
        else:
            item["url"] = reverse(
                "clients:detail", kwargs={"workspace_slug": workspace_slug, "client_id": item["client_id"]}
            )
    context = {
        "nav": "search",
        "q": q,
        "items": items,
        "next_cursor": next_cursor,
        "error": error,
        "appending": bool(request.GET.get("cursor")),
    }
    template = "insights/_search_results.html" if request.htmx else "insights/search.html"
    return render(request, template, context)
