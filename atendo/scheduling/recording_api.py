"""API: recording a session (`POST sessions/{id}/record`) and a session's attachments.

Mounted by `atendo/billing/api.py` (the scheduling router belongs to the sessions API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from atendo.core.api_auth import api_member
from atendo.scheduling.recording import session_record
from atendo.scheduling.serializers import session_to_json

router = Router(tags=["sessions"])
PREFIX = "/workspaces/{workspace_slug}/sessions/{session_id}"


class RecordPayment(Schema):
    amount: Decimal | None = Field(None, description="Defaults to the therapy type's price.")
    status: str | None = Field(None, description="paid | pending | overdue")
    method: str | None = Field(None, description="cash | pix | card | other")
    due_date: dt.date | None = None
    paid_date: dt.date | None = None


class RecordIn(Schema):
    version: int = Field(description="The version of the session you edited (409 if stale).")
    therapy_type_id: int | None = None
    actual_duration_minutes: int | None = None
    notes: str | None = None
    therapy_fields: dict[str, Any] | None = None
    payment: RecordPayment | None = None


class RecordOut(Schema):
    session: dict[str, Any]
    payment: dict[str, Any] | None


@router.post(PREFIX + "/record", response=RecordOut)
def sessions_record(request: HttpRequest, workspace_slug: str, session_id: int, payload: RecordIn) -> Any:
    """Record a started or completed session in one save: therapy type, actual duration, notes,
    therapy-specific fields and payment. The session becomes completed with `recorded_at` set."""
    from atendo.billing.api import payment_json
    from atendo.billing.selectors import payment_get_for

    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    if data.get("actual_duration_minutes") is None:
        data.pop("actual_duration_minutes", None)
    if "payment" in data and data["payment"] is not None:
        data["payment"] = payload.payment.model_dump(exclude_unset=True) if payload.payment else None
    result = session_record(member=member, session_id=session_id, data=data)
    from atendo.scheduling.selectors import session_get_for

    payment = None
    if result.payment is not None and member.has_perm("billing.read"):
        payment = payment_json(payment_get_for(member, result.payment.pk), member.workspace.tz)
    return {"session": session_to_json(member, session_get_for(member, session_id)), "payment": payment}
