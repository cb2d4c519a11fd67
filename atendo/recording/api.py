"""API: recording a session (`POST sessions/{id}/record`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import StrictInt

from atendo.billing.api import payment_json
from atendo.billing.selectors import payment_get_for
from atendo.core.api_schemas import Id, InputSchema
from atendo.core.clean import MAX_ID
from atendo.recording import signing
from atendo.recording.services import session_record
from atendo.scheduling.api import AddendumOut, SessionSavedOut
from atendo.scheduling.models import MAX_NOTES_LENGTH
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.serializers import session_to_json
from atendo.scheduling.services.private_notes import private_note_get, private_note_save
from atendo.workspaces.api_auth import api_member

router = Router(tags=["sessions"])
PREFIX = "/workspaces/{workspace_slug}/sessions/{session_id}"


class RecordPayment(InputSchema):
    amount: Decimal | None = Field(None, description="Defaults to the therapy type's price.")
    status: str | None = Field(None, description="paid | pending | overdue")
    method: str | None = Field(None, description="cash | pix | card | other")
    due_date: dt.date | None = None
    paid_date: dt.date | None = None


class RecordIn(InputSchema):
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
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    if data.get("actual_duration_minutes") is None:
        data.pop("actual_duration_minutes", None)
    if "payment" in data and data["payment"] is not None:
        data["payment"] = payload.payment.model_dump(exclude_unset=True) if payload.payment else None
    result = session_record(member=member, session_id=session_id, data=data)
    payment = None
    if result.payment is not None and member.has_perm("billing.read"):
        payment = payment_json(payment_get_for(member, result.payment.pk), member.workspace)
    return {"session": session_to_json(member, session_get_for(member, session_id)), "payment": payment}


# --- sign and lock, addenda, private notes ------------------------------------------------------


class SignIn(InputSchema):
    version: StrictInt = Field(ge=1, le=MAX_ID, description="The version you read (409 if stale).")


class AddendumIn(InputSchema):
    text: str = Field(max_length=MAX_NOTES_LENGTH, description="The correction (clinical).")


class PrivateNoteIn(InputSchema):
    text: str = Field(max_length=MAX_NOTES_LENGTH, description="Your private note; empty deletes it.")
    version: StrictInt | None = Field(
        None, ge=0, le=MAX_ID, description="The version you edited (0 for a new note); 409 if stale."
    )


class PrivateNoteOut(Schema):
    session_id: int
    text: str
    version: int = Field(description="0 while you have written none.")
    updated_at: dt.datetime | None


@router.post(
    PREFIX + "/sign",
    response=SessionSavedOut,
    summary="Sign and lock the session's clinical record (its practitioner, once completed)",
    description=(
        "From then on the notes, during and post values, therapy fields, clinical attachments and the "
        "encounter (client, practitioner, therapy type, time, duration, status) answer 409 `signed` to "
        "any change, and the session cannot be deleted; corrections are addenda. 403 `sign_forbidden` "
        "for anyone but the practitioner; 409 `already_signed`, `not_signable` (not completed), "
        "`version_conflict`."
    ),
)
def sessions_sign(request: HttpRequest, workspace_slug: str, session_id: Id, payload: SignIn) -> Any:
    member = api_member(request, workspace_slug)
    session = signing.session_sign(member=member, session_id=session_id, version=payload.version)
    return {"session": session_to_json(member, session), "warnings": [], "occurrences": 1}


@router.post(
    PREFIX + "/addenda",
    response={201: AddendumOut},
    summary="Add an addendum (a correction) to a signed session's record",
    description="409 `not_signed` for a record not signed yet: edit its notes instead.",
)
def sessions_addendum_add(
    request: HttpRequest, workspace_slug: str, session_id: Id, payload: AddendumIn
) -> HttpStatus[dict[str, Any]]:
    member = api_member(request, workspace_slug)
    addendum = signing.addendum_add(member=member, session_id=session_id, text=payload.text)
    return HttpStatus(
        201,
        {
            "id": addendum.pk,
            "text": payload.text,
            "author_id": member.pk,
            "author_name": member.display_name,
            "created_at": addendum.created_at.astimezone(member.workspace.tz),
        },
    )


@router.get(
    PREFIX + "/private-note",
    response=PrivateNoteOut,
    summary="Your own private note on the session (readable by you alone)",
)
def sessions_private_note(request: HttpRequest, workspace_slug: str, session_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    return private_note_get(member=member, session_id=session_id).as_json(member.workspace.tz)


@router.put(
    PREFIX + "/private-note",
    response=PrivateNoteOut,
    summary="Write your private note on the session (readable by you alone; empty text deletes it)",
    description=(
        "Not the owner, not an export, not insights, not search: only its author reads it. Needs clinical "
        "access to the client. Not part of the signed record."
    ),
)
def sessions_private_note_save(
    request: HttpRequest, workspace_slug: str, session_id: Id, payload: PrivateNoteIn
) -> Any:
    member = api_member(request, workspace_slug)
    note = private_note_save(member=member, session_id=session_id, text=payload.text, version=payload.version)
    return note.as_json(member.workspace.tz)
