"""Report pages: income, attendance and clients, each with a chart (Chart.js, drawn by
`reports/reports.js` from the report's JSON in the page) and the same numbers as a table, a CSV of
the same report, and the period and grouping in the URL. The numbers come from `reports.selectors`,
as the API's do.

The page's period is inclusive (`start` … `until`, as people read it); the API's `end` is the day
after `until`. A member with `reports.read` filters by practitioner and therapy type; one with
`reports.read_own` only reads their own sessions (the page says so and offers no practitioner).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from atendo.core.clean import id_or_none
from atendo.core.errors import ValidationFailed
from atendo.core.http import PageRequest
from atendo.core.times import date_or_none
from atendo.reports import selectors
from atendo.therapies.models import TherapyType
from atendo.workspaces.access import require_any
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page
from atendo.workspaces.selectors import practitioners_list

GROUP_LABELS: dict[str, Promise] = {
    "month": _("Month"),
    "practitioner": _("Practitioner"),
    "therapy_type": _("Therapy type"),
    "method": _("Payment method"),
}


@dataclass(frozen=True)
class Series:
    key: str
    label: Promise
    color: str


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: Promise
    intro: Promise
    build: Callable[..., dict[str, Any]]
    needs: tuple[str, ...]  # besides reports.read
    series: tuple[Series, ...]  # the chart's stacked bars, in order
    money: bool = False


KINDS: dict[str, ReportKind] = {
    kind.key: kind
    for kind in (
        ReportKind(
            key="income",
            title=_("Income"),
            intro=_("What the sessions of the period were charged: paid, still pending and overdue."),
            build=selectors.income_report,
            needs=("billing.read",),
            series=(
                Series("paid", _("Paid"), "#2e9e6b"),
                Series("pending", _("Pending"), "#e0a422"),
                Series("overdue", _("Overdue"), "#d6453d"),
            ),
            money=True,
        ),
        ReportKind(
            key="attendance",
            title=_("Attendance"),
            intro=_(
                "How the sessions of the period went: completed, cancelled (in time or late) and missed."
            ),
            build=selectors.attendance_report,
            needs=("session.read",),
            series=(
                Series("completed", _("Completed"), "#2e9e6b"),
                Series("no_show", _("No-show"), "#d6453d"),
                Series("late_cancelled", _("Late cancellation"), "#f08c3c"),
                Series("cancelled", _("Cancelled in time"), "#98a2b3"),
                Series("upcoming", _("Still to happen"), "#6aa7d8"),
            ),
        ),
        ReportKind(
            key="clients",
            title=_("Clients"),
            intro=_("Clients seen each month: new (their first session) and returning."),
            build=selectors.clients_report,
            needs=("client.read", "session.read"),
            series=(Series("new", _("New"), "#2f6f73"), Series("returning", _("Returning"), "#8fc1c3")),
        ),
    )
}


READS = ("reports.read", "reports.read_own")


def _tabs(member: Membership, slug: str) -> list[tuple[str, Promise, str]]:
    if not any(member.has_perm(code) for code in READS):
        return []
    return [
        (kind.key, kind.title, reverse(f"reports:{kind.key}", kwargs={"workspace_slug": slug}))
        for kind in KINDS.values()
        if all(member.has_perm(code) for code in kind.needs)
    ]


def _report_page(request: PageRequest, workspace_slug: str, kind: ReportKind) -> HttpResponse:
    member = request.member
    start = request.GET.get("start") or None
    until = date_or_none(request.GET.get("until"))
    end = (until + dt.timedelta(days=1)).isoformat() if until else None
    group_by = request.GET.get("group_by") or "month"
    if group_by not in selectors.GROUPINGS[kind.key]:
        group_by = "month"
    whole_practice = member.has_perm("reports.read")
    practitioner_id = id_or_none(request.GET.get("practitioner")) if whole_practice else None
    scope = {
        "practitioner_id": practitioner_id,
        "therapy_type_id": id_or_none(request.GET.get("therapy_type")),
    }
    errors: list[str] = []
    try:
        report = kind.build(member, start=start, end=end, group_by=group_by, **scope)
    except ValidationFailed as exc:
        errors = [error.message for error in exc.fields] or [exc.message]
        report = kind.build(member, group_by=group_by, **scope)
    last_day = dt.date.fromisoformat(report["end"]) - dt.timedelta(days=1)
    api_query = QueryDict(mutable=True)
    api_query.update({"start": report["start"], "end": report["end"]})
    if kind.key != "clients":
        api_query["group_by"] = report["group_by"]
    for name in ("practitioner_id", "therapy_type_id"):
        if report[name] is not None:
            api_query[name] = str(report[name])
    csv_url = reverse(f"api:{kind.key}_csv", kwargs={"workspace_slug": workspace_slug})
    chart = {
        "kind": kind.key,
        "money": kind.money,
        "currency": report.get("currency", ""),
        # Months read short under the bars ("Mar 2026"); the table keeps the long label.
        "labels": [
            dateformat.format(dt.date.fromisoformat(f"{row['key']}-01"), "M Y")
            if report["group_by"] == "month"
            else row["label"]
            for row in report["rows"]
        ],
        "series": [
            {
                "key": s.key,
                "label": str(s.label),
                "color": s.color,
                "data": [float(row[s.key]) for row in report["rows"]],
            }
            for s in kind.series
        ],
    }
    context = {
        "nav": "reports",
        "kind": kind,
        "tabs": _tabs(member, workspace_slug),
        "report": report,
        "chart": chart,
        "columns": kind.series,
        "groupings": [(g, GROUP_LABELS[g]) for g in selectors.GROUPINGS[kind.key]],
        "start": report["start"],
        "until": last_day.isoformat(),
        "errors": errors,
        "csv_url": f"{csv_url}?{api_query.urlencode()}",
        "own": report["own"],
        "practitioners": (
            [(m.pk, m.display_name) for m in practitioners_list(member, include=practitioner_id)]
            if whole_practice
            else []
        ),
        "therapy_types": list(
            TherapyType.objects.for_workspace(member.workspace).order_by("name").values_list("id", "name")
        ),
        "practitioner_id": report["practitioner_id"],
        "therapy_type_id": report["therapy_type_id"],
    }
    return render(request, "reports/report.html", context, status=422 if errors else 200)


@workspace_page("billing.read")
def income(request: PageRequest, workspace_slug: str) -> HttpResponse:
    return _report_page(request, workspace_slug, KINDS["income"])


@workspace_page("session.read")
def attendance(request: PageRequest, workspace_slug: str) -> HttpResponse:
    return _report_page(request, workspace_slug, KINDS["attendance"])


@workspace_page("client.read", "session.read")
def clients(request: PageRequest, workspace_slug: str) -> HttpResponse:
    return _report_page(request, workspace_slug, KINDS["clients"])


@workspace_page()
def index(request: PageRequest, workspace_slug: str) -> HttpResponse:
    """The reports the member may open (`reports.read` or `reports.read_own`)."""
    member = request.member
    require_any(member, *READS)
    tabs = _tabs(member, workspace_slug)
    return render(
        request,
        "reports/index.html",
        {"nav": "reports", "tabs": tabs, "entries": [(KINDS[key], url) for key, _t, url in tabs]},
    )
