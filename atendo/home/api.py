"""API: the home's day — `GET /workspaces/{slug}/today`."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from atendo.core.api_schemas import Id
from atendo.core.times import parse_date
from atendo.home import selectors
from atendo.scheduling.api import SessionOut
from atendo.workspaces.api_auth import api_member

router = Router(tags=["today"])


class TodoSessionOut(Schema):
    """A session in a to-do list: who, when, what — never any clinical content."""

    session_id: int
    client_id: int
    client_name: str
    practitioner_id: int
    practitioner_name: str
    therapy_type_name: str | None
    starts_at: str = Field(description="ISO 8601 in the workspace offset.")
    ends_at: str
    status: str


class TodoPaymentOut(Schema):
    payment_id: int
    session_id: int
    client_id: int
    client_name: str
    session_starts_at: str
    amount: str = Field(description="Exact decimal as a string.")
    currency: str
    status: Literal["pending", "overdue"]
    due_date: str
    fee: Literal["no_show", "late_cancel"] | None = Field(description="Set when the payment is a fee.")


class TodoOut(Schema):
    to_record: list[TodoSessionOut] = Field(
        description="Ended in the last 30 days, not recorded, latest first."
    )
    to_sign: list[TodoSessionOut] = Field(description="Notes to sign (empty until signing exists).")
    payments_due: list[TodoPaymentOut] = Field(description="Pending or overdue (with billing.read).")
    unconfirmed: list[TodoSessionOut] = Field(description="The next day's scheduled sessions not confirmed.")
    booking_requests: list[TodoSessionOut] = Field(
        description="Online bookings waiting for approval that this member may decide (session.update)."
    )


class TodayOut(Schema):
    date: str = Field(description="YYYY-MM-DD, in the workspace time zone.")
    sessions: list[SessionOut]
    todo: TodoOut


@router.get(
    "/workspaces/{workspace_slug}/today",
    response=TodayOut,
    exclude_unset=True,
    summary="The asking member's day: its sessions and what needs doing",
    description=(
        "The day's sessions (the session JSON, withheld parts absent) and the to-do lists, each at "
        "most 20 items. Scope: `practitioner_id`, or `everyone=true`, or by default the member's "
        "own sessions when they offer sessions, everyone's for members who manage the workspace or "
        "offer none. Sessions and their to-dos need `session.read`, payments `billing.read` (else "
        "those lists are empty)."
    ),
)
def today(
    request: HttpRequest,
    workspace_slug: str,
    date: str | None = Query(None, description="YYYY-MM-DD (default: today).", max_length=20),
    practitioner_id: Id | None = None,
    everyone: bool = False,
) -> dict[str, Any]:
    member = api_member(request, workspace_slug)
    day = parse_date(date, path="date") if date is not None else None
    result = selectors.today_for(member, day=day, practitioner_id=practitioner_id, everyone=everyone)
    return {"date": result.date.isoformat(), "sessions": result.sessions, "todo": result.todo}
