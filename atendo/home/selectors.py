"""The home: a member's day (their agenda, or everyone's) and what needs doing.

Whose day: a practitioner (a member who offers sessions) starts on their own; the owner and the
front desk — members who manage the workspace (`workspace.manage`) or offer no sessions — start on
everyone's. Anyone may switch: `session.read` already shows the whole practice's calendar, so the
scope is a view, not a barrier.

What is shown, and to whom:
- the agenda (`session.read`): the day's sessions through THE session serializer (so through the
  clinical redaction), and with `billing.read` each one's payment;
- to record (`session.read`): sessions of the last `RECORD_WINDOW_DAYS` days that ended and are not
  recorded (not cancelled, not no-shows);
- to sign: filled by the signing of clinical records once it exists (`home.todo`); empty until then;
- payments due (`billing.read`): pending and overdue payments, oldest due first;
- unconfirmed (`session.read`): the next day's scheduled sessions the client has not confirmed;
- booking requests (`session.read` and `session.update`): online bookings waiting for approval that
  this member may decide (`booking.approval.requests_for`), soonest first.

A to-do item is built from administrative columns only (ids, client and practitioner names, therapy
type, time, status; a payment's amount and due date): no clinical column is ever read for it, so
none can reach it. Every list is capped (`TODO_LIMIT`, with `more` saying there are others), and
the whole home costs a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from atendo.billing.models import Payment, PaymentStatus
from atendo.booking.approval import requests_for
from atendo.clients.models import Client
from atendo.home import todo
from atendo.scheduling.checks import MAX_SPAN
from atendo.scheduling.models import Session, SessionStatus
from atendo.scheduling.selectors import sessions_for, sessions_in_range
from atendo.scheduling.serializers import sessions_queryset_to_json
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership
from atendo.workspaces.selectors import practitioners_list

RECORD_WINDOW_DAYS = 30
TODO_LIMIT = 20
UNRECORDED = (SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)
# The only session columns a to-do item reads.
TODO_COLUMNS = (
    "id",
    "client_id",
    "client__name",
    "practitioner_id",
    "practitioner__user__name",
    "practitioner__user__email",
    "therapy_type__name",
    "starts_at",
    "ends_at",
    "status",
)


def sees_everyone_by_default(member: Membership) -> bool:
    """The owner and the front desk start on the whole practice's day; practitioners on their own."""
    return member.has_perm("workspace.manage") or not member.offers_sessions


def default_practitioner(member: Membership) -> int | None:
    return None if sees_everyone_by_default(member) else member.pk


@dataclass
class Today:
    date: dt.date
    practitioner_id: int | None  # None: everyone
    sessions: list[dict[str, Any]]
    # session id -> {"payment_id", "status", "amount", "fee"}; None without billing.read.
    payments: dict[int, dict[str, Any]] | None
    todo: dict[str, list[dict[str, Any]]]
    more: dict[str, bool] = field(default_factory=dict)


def _day_bounds(member: Membership, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day as a UTC range (a midnight skipped by daylight saving is the first instant after)."""
    tz = member.workspace.tz
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return start, end


def local_today(member: Membership) -> dt.date:
    return timezone.now().astimezone(member.workspace.tz).date()


def _session_item(row: dict[str, Any], tz: Any) -> dict[str, Any]:
    return {
        "session_id": row["id"],
        "client_id": row["client_id"],
        "client_name": row["client__name"],
        "practitioner_id": row["practitioner_id"],
        "practitioner_name": row["practitioner__user__name"] or row["practitioner__user__email"],
        "therapy_type_name": row["therapy_type__name"],
        "starts_at": row["starts_at"].astimezone(tz).isoformat(timespec="seconds"),
        "ends_at": row["ends_at"].astimezone(tz).isoformat(timespec="seconds"),
        "status": row["status"],
    }


def _capped(qs: QuerySet[Any], limit: int) -> tuple[list[Any], bool]:
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def _scoped(qs: QuerySet[Session], practitioner_id: int | None) -> QuerySet[Session]:
    return qs if practitioner_id is None else qs.filter(practitioner_id=practitioner_id)


def to_record(
    member: Membership, practitioner_id: int | None, *, now: dt.datetime, limit: int = TODO_LIMIT
) -> tuple[list[dict[str, Any]], bool]:
    """Sessions that ended in the last `RECORD_WINDOW_DAYS` days and are not recorded, latest first.

    `ends_at` is `starts_at` plus at least a minute, so a session that has ended started before
    `now` and at most a day (`MAX_SPAN`) before the window: both bounds keep the scan on the
    (workspace[, practitioner], starts_at) index to the window's sessions, instead of running on
    through every session booked ahead (months of them in a busy practice)."""
    qs = _scoped(sessions_for(member), practitioner_id).filter(
        starts_at__gte=now - dt.timedelta(days=RECORD_WINDOW_DAYS) - MAX_SPAN,
        starts_at__lt=now,
        ends_at__gte=now - dt.timedelta(days=RECORD_WINDOW_DAYS),
        ends_at__lte=now,
        recorded_at__isnull=True,
        status__in=UNRECORDED,
    )
    rows, more = _capped(qs.order_by("-starts_at", "-id").values(*TODO_COLUMNS), limit)
    tz = member.workspace.tz
    return [_session_item(r, tz) for r in rows], more


def unconfirmed(
    member: Membership,
    practitioner_id: int | None,
    *,
    day: dt.date,
    now: dt.datetime,
    limit: int = TODO_LIMIT,
) -> tuple[list[dict[str, Any]], bool]:
    """The next day's scheduled sessions (still to come) that the client has not confirmed."""
    start, end = _day_bounds(member, day + dt.timedelta(days=1))
    qs = _scoped(sessions_for(member), practitioner_id).filter(
        starts_at__gte=max(start, now),
        starts_at__lt=end,
        status=SessionStatus.SCHEDULED,
        confirmed_at__isnull=True,
    )
    rows, more = _capped(qs.order_by("starts_at", "id").values(*TODO_COLUMNS), limit)
    tz = member.workspace.tz
    return [_session_item(r, tz) for r in rows], more


def booking_requests(
    member: Membership, practitioner_id: int | None, *, limit: int = TODO_LIMIT
) -> tuple[list[dict[str, Any]], bool]:
    """Online bookings waiting for approval that the member may decide, the soonest first."""
    if not (member.has_perm("session.read") and member.has_perm("session.update")):
        return [], False
    qs = _scoped(sessions_for(member), practitioner_id).filter(
        pk__in=requests_for(member).values("session_id")
    )
    rows, more = _capped(qs.order_by("starts_at", "id").values(*TODO_COLUMNS), limit)
    tz = member.workspace.tz
    return [_session_item(r, tz) for r in rows], more


def payments_due(
    member: Membership, practitioner_id: int | None, *, limit: int = TODO_LIMIT
) -> tuple[list[dict[str, Any]], bool]:
    """Pending and overdue payments (of the practitioner's sessions), the oldest due first.

    One query per status, each reading the (workspace, status, due date) index in its order and
    stopping at `limit + 1` rows, then merged: a single query over both statuses must sort every
    outstanding payment of the practice (hundreds of thousands in a large one) to find the first few."""
    qs = Payment.objects.for_workspace(member.workspace)
    if practitioner_id is not None:
        qs = qs.filter(session__practitioner_id=practitioner_id)
    columns = (
        "id",
        "session_id",
        "session__client_id",
        "session__client__name",
        "session__starts_at",
        "amount",
        "currency",
        "status",
        "due_date",
        "fee",
    )
    merged = [
        row
        for status in (PaymentStatus.PENDING, PaymentStatus.OVERDUE)
        for row in qs.filter(status=status).order_by("due_date", "id").values(*columns)[: limit + 1]
    ]
    merged.sort(key=lambda r: (r["due_date"], r["id"]))
    rows, more = merged[:limit], len(merged) > limit
    tz = member.workspace.tz
    return [
        {
            "payment_id": r["id"],
            "session_id": r["session_id"],
            "client_id": r["session__client_id"],
            "client_name": r["session__client__name"],
            "session_starts_at": r["session__starts_at"].astimezone(tz).isoformat(timespec="seconds"),
            "amount": str(r["amount"]),
            "currency": r["currency"],
            "status": r["status"],
            "due_date": r["due_date"].isoformat(),
            "fee": r["fee"] or None,
        }
        for r in rows
    ], more


def session_payments(member: Membership, session_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The payment of each of these sessions (one query)."""
    if not session_ids:
        return {}
    rows = (
        Payment.objects.for_workspace(member.workspace)
        .filter(session_id__in=session_ids)
        .values("id", "session_id", "status", "amount", "fee")
    )
    return {
        r["session_id"]: {
            "payment_id": r["id"],
            "status": r["status"],
            "amount": r["amount"],
            "fee": r["fee"],
        }
        for r in rows
    }


def today_for(
    member: Membership,
    *,
    day: dt.date | None = None,
    practitioner_id: int | None = None,
    everyone: bool = False,
) -> Today:
    """The home of `member` for `day` (default: today in the workspace): `practitioner_id`'s day,
    everyone's (`everyone`), or the member's default scope when neither is given."""
    now = timezone.now()
    day = day or local_today(member)
    if not everyone and practitioner_id is None:
        practitioner_id = default_practitioner(member)
    elif everyone:
        practitioner_id = None
    can_sessions = member.has_perm("session.read")
    can_billing = member.has_perm("billing.read")
    sessions: list[dict[str, Any]] = []
    lists: dict[str, list[dict[str, Any]]] = {
        "to_record": [],
        "to_sign": [],
        "payments_due": [],
        "unconfirmed": [],
        "booking_requests": [],
    }
    more = dict.fromkeys(lists, False)
    if can_sessions:
        start, end = _day_bounds(member, day)
        sessions = sessions_queryset_to_json(
            member, sessions_in_range(member, start, end, practitioner_id=practitioner_id)
        )
        # Sessions starting the day before and running past midnight belong to that day's agenda.
        sessions = [s for s in sessions if s["starts_at"][:10] == day.isoformat()]
        lists["to_record"], more["to_record"] = to_record(member, practitioner_id, now=now)
        lists["unconfirmed"], more["unconfirmed"] = unconfirmed(member, practitioner_id, day=day, now=now)
        lists["to_sign"] = todo.to_sign(member, practitioner_id, TODO_LIMIT)
        lists["booking_requests"], more["booking_requests"] = booking_requests(member, practitioner_id)
    payments = None
    if can_billing:
        payments = session_payments(member, [s["id"] for s in sessions])
        lists["payments_due"], more["payments_due"] = payments_due(member, practitioner_id)
    return Today(day, practitioner_id, sessions, payments, lists, more)


@dataclass
class GettingStarted:
    """The first steps of a new practice, each done or not."""

    therapy_type: bool
    client: bool
    session: bool
    team: bool

    @property
    def done(self) -> bool:
        return self.therapy_type and self.client and self.session


def getting_started(member: Membership) -> GettingStarted | None:
    """For members who run the practice (`workspace.manage`), until its first session is booked
    (at most four queries); None for everyone else, and once the practice is under way."""
    if not member.has_perm("workspace.manage"):
        return None
    workspace = member.workspace
    if Session.objects.for_workspace(workspace).exists():
        return None
    return GettingStarted(
        therapy_type=TherapyType.objects.for_workspace(workspace).exists(),
        client=Client.objects.for_workspace(workspace).exists(),
        session=False,
        team=Membership.objects.for_workspace(workspace).filter(is_active=True).count() > 1,
    )


def practitioner_options(member: Membership) -> list[tuple[int, str]]:
    return [(m.pk, m.display_name) for m in practitioners_list(member)]
