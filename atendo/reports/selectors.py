"""The practice's reports: income, attendance and clients, aggregated by the database.

Every report is one GROUP BY query over the period (plus one for the labels of its rows), whatever
the number of sessions: nothing is read row by row. Months are the workspace's: the period's month
boundaries are computed in the workspace time zone (so daylight-saving changes and a practice in
another zone than the server are right), turned into UTC instants, and each row falls into its
month by a `CASE starts_at < boundary …` expression — plain SQL, the same on SQLite and PostgreSQL,
with no per-row time-zone function.

- **Income** (`billing.read`): the payments of the sessions held in the period (the session's date
  decides the period and the month), by month, practitioner, therapy type or method: paid, pending
  and overdue amounts as exact decimals.
- **Attendance** (`session.read`): sessions by month, practitioner or therapy type: completed,
  cancelled in time, cancelled late (inside the cancellation window), no-shows, still to happen,
  and the rates of each among the sessions whose outcome is known.
- **Clients** (`client.read` and `session.read`): by month, the clients seen (a session not
  cancelled nor missed), and among them the new (their first such session ever) and returning.

Who reads what: `reports.read` (the Owner role) opens the whole practice's figures, filtered by
practitioner or therapy type at will; `reports.read_own` (the Therapist role) opens the same reports
limited to the member's own sessions — their income, attendance and clients, never another
practitioner's figures (asking for another practitioner's is 403). None carries clinical content
(counts, amounts and the names of practitioners, therapy types and methods).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.billing.models import Payment, PaymentMethod, PaymentStatus
from atendo.clients.models import Client
from atendo.core import formats
from atendo.core.clean import FieldErrors
from atendo.core.errors import Forbidden, ValidationFailed
from atendo.core.times import parse_date
from atendo.scheduling.models import Session, SessionStatus
from atendo.therapies.models import TherapyType
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

GROUPINGS = {
    "income": ("month", "practitioner", "therapy_type", "method"),
    "attendance": ("month", "practitioner", "therapy_type"),
    "clients": ("month",),
}
# The longest period a report covers (61 months: five years and a bit).
MAX_MONTHS = 61
NONE_KEY = "none"
# Sessions that count as "seen" for the clients report: booked and not called off nor missed.
SEEN = (SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """[start, end) in local days, with the UTC instants of its month boundaries."""

    start: dt.date
    end: dt.date
    months: list[dt.date]  # the first day of each month the period touches, in order
    edges: list[dt.datetime]  # UTC instants: period start, each later month start, period end

    @property
    def begin(self) -> dt.datetime:
        return self.edges[0]

    @property
    def finish(self) -> dt.datetime:
        return self.edges[-1]


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months, this one included: [first of the month 11 months ago, next month)."""
    first = today.replace(day=1)
    for _i in range(11):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first, _month_after(today)


def parse_period(member: Membership, start: Any, end: Any) -> Period:
    """The period from the query's `start` and `end` (ISO dates; `end` excluded; both optional:
    the last twelve months). 422 at the parameter when it is not a date, when `end` is not after
    `start`, or when the period is longer than `MAX_MONTHS` months."""
    tz = member.workspace.tz
    default_start, default_end = default_period(timezone.now().astimezone(tz).date())
    errors = FieldErrors()
    first = errors.check(parse_date, start, path="start") if start not in (None, "") else default_start
    last = errors.check(parse_date, end, path="end") if end not in (None, "") else default_end
    errors.raise_if_any()
    assert first is not None and last is not None
    if last <= first:
        raise ValidationFailed.single("end", _("The end of the period must be after its start."))
    months = [first.replace(day=1)]
    while _month_after(months[-1]) < last:
        months.append(_month_after(months[-1]))
        if len(months) > MAX_MONTHS:
            raise ValidationFailed.single(
                "end", _("A report covers at most %(months)d months.") % {"months": MAX_MONTHS}
            )
    local = [first, *months[1:], last]
    edges = [dt.datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(dt.UTC) for d in local]
    return Period(start=first, end=last, months=months, edges=edges)


@dataclass(frozen=True)
class Scope:
    """What a report covers: every practitioner (`practitioner_id` None) or one, and every therapy
    type or one. `own` when the reader may only see their own figures."""

    practitioner_id: int | None = None
    therapy_type_id: int | None = None
    own: bool = False

    def sessions(self, prefix: str = "") -> Q:
        q = Q()
        if self.practitioner_id is not None:
            q &= Q(**{f"{prefix}practitioner_id": self.practitioner_id})
        if self.therapy_type_id is not None:
            q &= Q(**{f"{prefix}therapy_type_id": self.therapy_type_id})
        return q


def _id(value: Any, path: str, errors: FieldErrors) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        errors.add(path, _("Choose one from the list."))
        return None
    return number


def report_scope(member: Membership, practitioner_id: Any = None, therapy_type_id: Any = None) -> Scope:
    """The reader's scope: `reports.read` sees the practice (and may pick a practitioner),
    `reports.read_own` only their own sessions (another practitioner is 403); neither is 403."""
    errors = FieldErrors()
    practitioner = _id(practitioner_id, "practitioner_id", errors)
    therapy_type = _id(therapy_type_id, "therapy_type_id", errors)
    errors.raise_if_any()
    if member.has_perm("reports.read"):
        return Scope(practitioner_id=practitioner, therapy_type_id=therapy_type)
    if member.has_perm("reports.read_own"):
        if practitioner is not None and practitioner != member.pk:
            raise Forbidden(_("Your role shows the figures of your own sessions only."))
        return Scope(practitioner_id=member.pk, therapy_type_id=therapy_type, own=True)
    raise Forbidden(_("This needs the permission reports.read or reports.read_own."))


def check_grouping(report: str, group_by: Any) -> str:
    choices = GROUPINGS[report]
    if group_by in (None, ""):
        return "month"
    if group_by not in choices:
        raise ValidationFailed.single(
            "group_by",
            _("Group by one of: %(choices)s.") % {"choices": ", ".join(choices)},
        )
    return str(group_by)


def month_bucket(field: str, period: Period) -> Case:
    """The index of the period's month an instant (`field`, already inside the period) falls in."""
    whens = [
        When(**{f"{field}__lt": edge}, then=Value(index)) for index, edge in enumerate(period.edges[1:-1])
    ]
    return Case(*whens, default=Value(len(period.months) - 1), output_field=IntegerField())


def _month_rows(period: Period) -> list[tuple[str, str]]:
    return [(m.strftime("%Y-%m"), formats.format_date(m, "month")) for m in period.months]


def _practitioner_labels(member: Membership, ids: set[Any]) -> dict[Any, str]:
    members = Membership.objects.for_workspace(member.workspace).filter(pk__in=ids).select_related("user")
    return {m.pk: m.display_name for m in members}


def _therapy_labels(member: Membership, ids: set[Any]) -> dict[Any, str]:
    rows = TherapyType.objects.for_workspace(member.workspace).filter(pk__in=ids).values_list("id", "name")
    return dict(rows)


def _keyed(member: Membership, group_by: str, period: Period, found: set[Any]) -> list[tuple[Any, str, str]]:
    """(raw group value, key, label) of every row the report shows, in display order: every month
    of the period (empty ones too); the practitioners, therapy types or methods found, by label."""
    if group_by == "month":
        return [(index, key, label) for index, (key, label) in enumerate(_month_rows(period))]
    if group_by == "method":
        labels = {"": _("Not paid yet"), **dict(PaymentMethod.choices)}
        order = ["", *PaymentMethod.values]
        return [(m, m or NONE_KEY, str(labels[m])) for m in order if m in found]
    if group_by == "practitioner":
        names = _practitioner_labels(member, {v for v in found if v is not None})
        rows = [(v, str(v), names.get(v, _("Former member"))) for v in found if v is not None]
    else:
        names = _therapy_labels(member, {v for v in found if v is not None})
        rows = [(v, str(v), names.get(v, "")) for v in found if v is not None]
    rows.sort(key=lambda row: (row[2].casefold(), row[1]))
    if None in found:
        rows.append((None, NONE_KEY, _("No therapy type")))
    return rows


# --- income ------------------------------------------------------------------------------------

INCOME_GROUP_FIELDS = {
    "practitioner": "session__practitioner_id",
    "therapy_type": "session__therapy_type_id",
    "method": "method",
}


def _scope_keys(scope: Scope) -> dict[str, Any]:
    return {
        "practitioner_id": scope.practitioner_id,
        "therapy_type_id": scope.therapy_type_id,
        "own": scope.own,
    }


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def income_report(
    member: Membership,
    *,
    start: Any = None,
    end: Any = None,
    group_by: Any = None,
    practitioner_id: Any = None,
    therapy_type_id: Any = None,
) -> dict[str, Any]:
    """`{"start", "end", "group_by", "currency", "rows": [{"key", "label", "paid", "pending",
    "overdue", "total", "count"}], "totals": {…}}`, amounts as decimal strings."""
    require(member, "billing.read")
    scope = report_scope(member, practitioner_id, therapy_type_id)
    group = check_grouping("income", group_by)
    period = parse_period(member, start, end)
    # The session's workspace too, so the range is read from its (workspace, starts_at) index.
    payments: Any = (
        Payment.objects.for_workspace(member.workspace)
        .filter(
            session__workspace_id=member.workspace.pk,
            session__starts_at__gte=period.begin,
            session__starts_at__lt=period.finish,
        )
        .filter(scope.sessions("session__"))
    )
    if group == "month":
        payments = payments.annotate(group=month_bucket("session__starts_at", period))
        field = "group"
    else:
        field = INCOME_GROUP_FIELDS[group]
    aggregated = payments.values(field, "status").annotate(amount=Sum("amount"), n=Count("id")).order_by()
    sums: dict[Any, dict[str, Decimal]] = {}
    counts: dict[Any, int] = {}
    for row in aggregated:
        bucket = sums.setdefault(row[field], {s: Decimal(0) for s in PaymentStatus.values})
        bucket[row["status"]] += Decimal(row["amount"] or 0)
        counts[row[field]] = counts.get(row[field], 0) + row["n"]
    rows = []
    totals = {s: Decimal(0) for s in PaymentStatus.values}
    for raw, key, label in _keyed(member, group, period, set(sums)):
        values = sums.get(raw, {s: Decimal(0) for s in PaymentStatus.values})
        for status in PaymentStatus.values:
            totals[status] += values[status]
        rows.append(
            {
                "key": key,
                "label": label,
                **{status: _money(values[status]) for status in PaymentStatus.values},
                "total": _money(sum(values.values(), Decimal(0))),
                "count": counts.get(raw, 0),
            }
        )
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "group_by": group,
        **_scope_keys(scope),
        "currency": member.workspace.currency,
        "rows": rows,
        "totals": {
            **{status: _money(totals[status]) for status in PaymentStatus.values},
            "total": _money(sum(totals.values(), Decimal(0))),
            "count": sum(counts.values()),
        },
    }


# --- attendance --------------------------------------------------------------------------------

ATTENDANCE_GROUP_FIELDS = {"practitioner": "practitioner_id", "therapy_type": "therapy_type_id"}
CANCELLED = SessionStatus.CANCELLED
ATTENDANCE_COUNTS = {
    "completed": Q(status=SessionStatus.COMPLETED),
    "cancelled": Q(status=CANCELLED, cancellation_late=False),
    "late_cancelled": Q(status=CANCELLED, cancellation_late=True),
    "no_show": Q(status=SessionStatus.NO_SHOW),
    "upcoming": Q(status__in=[SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS]),
}
RATES = {
    "completion_rate": ("completed",),
    "cancellation_rate": ("cancelled", "late_cancelled"),
    "late_cancellation_rate": ("late_cancelled",),
    "no_show_rate": ("no_show",),
}


def _rates(counts: dict[str, int]) -> dict[str, float | None]:
    """Each rate among the sessions whose outcome is known (all but those still to happen)."""
    known = counts["total"] - counts["upcoming"]
    return {
        name: (round(sum(counts[p] for p in parts) / known, 4) if known else None)
        for name, parts in RATES.items()
    }


def attendance_report(
    member: Membership,
    *,
    start: Any = None,
    end: Any = None,
    group_by: Any = None,
    practitioner_id: Any = None,
    therapy_type_id: Any = None,
) -> dict[str, Any]:
    """`{"rows": [{"key", "label", "completed", "cancelled", "late_cancelled", "no_show",
    "upcoming", "total", "completion_rate", "cancellation_rate", "late_cancellation_rate",
    "no_show_rate"}], "totals": {…}}`. `cancelled` counts the cancellations in time,
    `late_cancelled` those inside the cancellation window: together, every cancelled session."""
    require(member, "session.read")
    scope = report_scope(member, practitioner_id, therapy_type_id)
    group = check_grouping("attendance", group_by)
    period = parse_period(member, start, end)
    sessions: Any = Session.objects.for_workspace(member.workspace).filter(
        scope.sessions(), starts_at__gte=period.begin, starts_at__lt=period.finish
    )
    if group == "month":
        sessions = sessions.annotate(group=month_bucket("starts_at", period))
        field = "group"
    else:
        field = ATTENDANCE_GROUP_FIELDS[group]
    aggregated = (
        sessions.values(field)
        .annotate(total=Count("id"), **{name: Count("id", filter=q) for name, q in ATTENDANCE_COUNTS.items()})
        .order_by()
    )
    found = {row[field]: row for row in aggregated}
    names = [*ATTENDANCE_COUNTS, "total"]
    totals = dict.fromkeys(names, 0)
    rows = []
    for raw, key, label in _keyed(member, group, period, set(found)):
        counts = {name: (found[raw][name] if raw in found else 0) for name in names}
        for name in names:
            totals[name] += counts[name]
        rows.append({"key": key, "label": label, **counts, **_rates(counts)})
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "group_by": group,
        **_scope_keys(scope),
        "rows": rows,
        "totals": {**totals, **_rates(totals)},
    }


# --- clients -----------------------------------------------------------------------------------


def clients_report(
    member: Membership,
    *,
    start: Any = None,
    end: Any = None,
    group_by: Any = None,
    practitioner_id: Any = None,
    therapy_type_id: Any = None,
) -> dict[str, Any]:
    """By month: `active` (clients seen), `new` (their first session ever), `returning` (seen
    before): `{"rows": [{"key", "label", "active", "new", "returning"}], "totals": {…}}`. The totals'
    `active` counts each client once over the whole period. Limited to a practitioner (or a
    therapy type), "new" is new to them: the client's first such session with them."""
    require(member, "client.read", "session.read")
    scope = report_scope(member, practitioner_id, therapy_type_id)
    check_grouping("clients", group_by)
    period = parse_period(member, start, end)
    workspace = member.workspace
    seen = Session.objects.for_workspace(workspace).filter(scope.sessions(), status__in=SEEN)
    in_period = seen.filter(starts_at__gte=period.begin, starts_at__lt=period.finish)
    active = dict(
        in_period.annotate(group=month_bucket("starts_at", period))
        .values("group")
        .annotate(n=Count("client_id", distinct=True))
        .order_by()
        .values_list("group", "n")
    )
    first_seen = seen.filter(client_id=OuterRef("pk")).order_by("starts_at").values("starts_at")[:1]
    new = dict(
        Client.objects.for_workspace(workspace)
        .annotate(first=Subquery(first_seen))
        .filter(first__gte=period.begin, first__lt=period.finish)
        .annotate(group=month_bucket("first", period))
        .values("group")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("group", "n")
    )
    distinct_active = in_period.values("client_id").distinct().count()
    rows = []
    for index, (key, label) in enumerate(_month_rows(period)):
        n_active, n_new = active.get(index, 0), new.get(index, 0)
        rows.append(
            {"key": key, "label": label, "active": n_active, "new": n_new, "returning": n_active - n_new}
        )
    total_new = sum(new.values())
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "group_by": "month",
        **_scope_keys(scope),
        "rows": rows,
        "totals": {"active": distinct_active, "new": total_new, "returning": distinct_active - total_new},
    }
