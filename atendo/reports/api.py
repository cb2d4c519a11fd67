"""API: the reports (`reports.read`), as JSON and as CSV.

GET /workspaces/{slug}/reports/income?start=&end=&group_by=month|practitioner|therapy_type|method
GET /workspaces/{slug}/reports/attendance?start=&end=&group_by=month|practitioner|therapy_type
GET /workspaces/{slug}/reports/clients?start=&end=
… each also filtered by `practitioner_id` and `therapy_type_id`, and the same paths with `.csv`.

`reports.read` reads the whole practice; `reports.read_own` the member's own sessions only (the
answer's `own` is true, its `practitioner_id` theirs; another practitioner's id is 403).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from atendo.core.csvs import csv_response
from atendo.reports import selectors
from atendo.workspaces.api_auth import api_member

router = Router(tags=["reports"])
PREFIX = "/workspaces/{workspace_slug}/reports"

_START = Query(None, description="First day (YYYY-MM-DD, included). Default: 11 months before this one.")
_END = Query(None, description="Day after the last (YYYY-MM-DD, excluded). Default: next month's first day.")
_INCOME_GROUP = Query("month", description="month | practitioner | therapy_type | method")
_ATTENDANCE_GROUP = Query("month", description="month | practitioner | therapy_type")
_PRACTITIONER = Query(
    None, description="Only this practitioner's sessions (a member id). With reports.read_own: one's own."
)
_THERAPY_TYPE = Query(None, description="Only the sessions of this therapy type.")


class IncomeRow(Schema):
    key: str = Field(description="2026-03 (a month), a member or therapy type id, a method, or none.")
    label: str
    paid: str = Field(description="Exact decimal as a string.")
    pending: str
    overdue: str
    total: str
    count: int = Field(description="Payments in the row.")


class IncomeTotals(Schema):
    paid: str
    pending: str
    overdue: str
    total: str
    count: int


class ReportScope(Schema):
    practitioner_id: int | None = Field(description="The practitioner the figures are limited to, if any.")
    therapy_type_id: int | None
    own: bool = Field(description="True when the reader may only see their own sessions (reports.read_own).")


class IncomeReport(ReportScope):
    start: str
    end: str
    group_by: str
    currency: str
    rows: list[IncomeRow]
    totals: IncomeTotals


class AttendanceCounts(Schema):
    completed: int
    cancelled: int = Field(description="Cancelled in time (outside the cancellation window).")
    late_cancelled: int = Field(description="Cancelled by the client inside the cancellation window.")
    no_show: int
    upcoming: int = Field(description="Scheduled or in progress: no outcome yet.")
    total: int
    completion_rate: float | None = Field(description="Among sessions with an outcome (total - upcoming).")
    cancellation_rate: float | None
    late_cancellation_rate: float | None
    no_show_rate: float | None


class AttendanceRow(AttendanceCounts):
    key: str
    label: str


class AttendanceReport(ReportScope):
    start: str
    end: str
    group_by: str
    rows: list[AttendanceRow]
    totals: AttendanceCounts


class ClientsCounts(Schema):
    active: int = Field(description="Clients seen (a session not cancelled nor missed).")
    new: int = Field(description="Seen for the first time ever.")
    returning: int = Field(description="Seen before.")


class ClientsRow(ClientsCounts):
    key: str
    label: str


class ClientsReport(ReportScope):
    start: str
    end: str
    group_by: str
    rows: list[ClientsRow]
    totals: ClientsCounts


CSV = {"200": {"description": "CSV", "content": {"text/csv": {}}}}


@router.get(PREFIX + "/income", response=IncomeReport)
def income(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    group_by: str = _INCOME_GROUP,
    practitioner_id: int | None = _PRACTITIONER,
    therapy_type_id: int | None = _THERAPY_TYPE,
) -> Any:
    """Paid, pending and overdue amounts of the payments of the sessions held in the period (the
    session's date places a payment), by month (in the workspace's time zone), practitioner,
    therapy type or method. Needs `billing.read`, and `reports.read`
    (the practice) or `reports.read_own` (one's own sessions)."""
    member = api_member(request, workspace_slug)
    return selectors.income_report(
        member,
        start=start,
        end=end,
        group_by=group_by,
        practitioner_id=practitioner_id,
        therapy_type_id=therapy_type_id,
    )


@router.get(PREFIX + "/attendance", response=AttendanceReport)
def attendance(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    group_by: str = _ATTENDANCE_GROUP,
    practitioner_id: int | None = _PRACTITIONER,
    therapy_type_id: int | None = _THERAPY_TYPE,
) -> Any:
    """Sessions completed, cancelled in time, cancelled late, missed (no-show) and still to happen,
    with their rates. Needs `session.read`, and `reports.read` or `reports.read_own`."""
    member = api_member(request, workspace_slug)
    return selectors.attendance_report(
        member,
        start=start,
        end=end,
        group_by=group_by,
        practitioner_id=practitioner_id,
        therapy_type_id=therapy_type_id,
    )


@router.get(PREFIX + "/clients", response=ClientsReport)
def clients(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    practitioner_id: int | None = _PRACTITIONER,
    therapy_type_id: int | None = _THERAPY_TYPE,
) -> Any:
    """New and returning clients by month. Needs `client.read`, `session.read`, and `reports.read` or
    `reports.read_own`."""
    member = api_member(request, workspace_slug)
    return selectors.clients_report(
        member, start=start, end=end, practitioner_id=practitioner_id, therapy_type_id=therapy_type_id
    )


INCOME_COLUMNS = ("key", "label", "paid", "pending", "overdue", "total", "count")
ATTENDANCE_COLUMNS = (
    "key",
    "label",
    "completed",
    "cancelled",
    "late_cancelled",
    "no_show",
    "upcoming",
    "total",
    "completion_rate",
    "cancellation_rate",
    "late_cancellation_rate",
    "no_show_rate",
)
CLIENTS_COLUMNS = ("key", "label", "active", "new", "returning")


def report_csv(name: str, report: dict[str, Any], columns: tuple[str, ...]) -> StreamingHttpResponse:
    """The report's rows, then a `total` row (label and key `total`), as CSV; rates and amounts as
    in the JSON (decimal points, ISO month keys)."""
    rows = [[row[c] if row[c] is not None else "" for c in columns] for row in report["rows"]]
    totals = report["totals"]
    rows.append(
        ["total", "total", *[totals.get(c, "") if totals.get(c) is not None else "" for c in columns[2:]]]
    )
    filename = f"{name}-{report['group_by']}-{report['start']}-{report['end']}.csv"
    return csv_response(filename, columns, rows)


@router.get(PREFIX + "/income.csv", response={200: str}, openapi_extra={"responses": CSV})
def income_csv(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    group_by: str = _INCOME_GROUP,
    practitioner_id: int | None = _PRACTITIONER,
    therapy_type_id: int | None = _THERAPY_TYPE,
) -> StreamingHttpResponse:
    member = api_member(request, workspace_slug)
    report = selectors.income_report(
        member,
        start=start,
        end=end,
        group_by=group_by,
        practitioner_id=practitioner_id,
        therapy_type_id=therapy_type_id,
    )
    return report_csv("income", report, INCOME_COLUMNS)


@router.get(PREFIX + "/attendance.csv", response={200: str}, openapi_extra={"responses": CSV})
def attendance_csv(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    group_by: str = _ATTENDANCE_GROUP,
    practitioner_id: int | None = _PRACTITIONER,
    therapy_type_id: int | None = _THERAPY_TYPE,
) -> StreamingHttpResponse:
    member = api_member(request, workspace_slug)
    report = selectors.attendance_report(
        member,
        start=start,
        end=end,
        group_by=group_by,
        practitioner_id=practitioner_id,
        therapy_type_id=therapy_type_id,
    )
    return report_csv("attendance", report, ATTENDANCE_COLUMNS)


@router.get(PREFIX + "/clients.csv", response={200: str}, openapi_extra={"responses": CSV})
def clients_csv(
    request: HttpRequest,
    workspace_slug: str,
    start: str | None = _START,
    end: str | None = _END,
    practitioner_id: int | None = _PRACTITIONER,
    therapy_type_id: int | None = _THERAPY_TYPE,
) -> StreamingHttpResponse:
    member = api_member(request, workspace_slug)
    report = selectors.clients_report(
        member, start=start, end=end, practitioner_id=practitioner_id, therapy_type_id=therapy_type_id
    )
    return report_csv("clients", report, CLIENTS_COLUMNS)
