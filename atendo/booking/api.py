"""API: the workspace's booking settings (members), and the public booking doors (no log-in).

Members: the booking settings, and the requests waiting for approval (`bookings`, accept, decline).
Public: `/public/{workspace_slug}/services`, `…/practitioners`, `…/slots`, `POST …/bookings`.
They answer 404 alike for an unknown workspace and one whose booking is off, name no client, no
session and no staff e-mail, and are rate-limited per address (and bookings per e-mail too).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from atendo.accounts.forms import client_ip
from atendo.booking import approval, selectors, services, throttle
from atendo.core.api_schemas import ErrorOut, Id, InputSchema
from atendo.workspaces import settings_sections
from atendo.workspaces.api_auth import api_member

router = Router(tags=["online booking"])
WS = "/workspaces/{workspace_slug}"
PUBLIC = "/public/{workspace_slug}"
PUBLIC_ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class BookingSettingsOut(Schema):
    enabled: bool
    therapy_type_ids: list[int]
    practitioner_ids: list[int]
    lead_minutes: int = Field(description="Minimum notice before a bookable start")
    horizon_days: int = Field(description="How many days ahead clients may book")
    buffer_minutes: int = Field(description="Kept free before and after each session of the practitioner")
    new_clients: bool = Field(description="Whether people not yet clients may book (else known e-mails only)")
    needs_approval: bool = Field(
        description="Bookings hold their slot as requests until a member accepts or declines them"
    )
    public_url: str


class BookingSettingsIn(InputSchema):
    enabled: bool | None = None
    therapy_type_ids: list[int] | None = None
    practitioner_ids: list[int] | None = None
    lead_minutes: int | None = None
    horizon_days: int | None = None
    buffer_minutes: int | None = None
    new_clients: bool | None = None
    needs_approval: bool | None = None


def _settings_json(bs: Any) -> dict[str, Any]:
    return {**services.settings_to_json(bs), "public_url": services.public_url(bs.workspace.slug)}


@router.get(f"{WS}/booking-settings", response=BookingSettingsOut)
def booking_settings_get(request: HttpRequest, workspace_slug: str) -> Any:
    """The workspace's online booking settings (`workspace.manage`)."""
    member = api_member(request, workspace_slug)
    return _settings_json(services.booking_settings_get(member=member))


@router.patch(f"{WS}/booking-settings", response=BookingSettingsOut)
def booking_settings_patch(request: HttpRequest, workspace_slug: str, payload: BookingSettingsIn) -> Any:
    """Change some settings (only the keys sent)."""
    member = api_member(request, workspace_slug)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _settings_json(services.booking_settings_update(member=member, changes=changes))


# --- requests waiting for approval -------------------------------------------------------------


class BookingRequestOut(Schema):
    id: int
    session_id: int
    client_id: int
    client_name: str
    practitioner_id: int
    practitioner_name: str
    therapy_type_id: int | None
    service: str
    starts_at: str
    ends_at: str
    approval: str = Field(description="requested | accepted | declined")
    email_confirmed: bool = Field(description="Whether the client opened the e-mail's link")
    decline_reason: str
    created_at: str


class BookingRequestList(Schema):
    items: list[BookingRequestOut]
    next_cursor: str | None


class DeclineIn(InputSchema):
    reason: str = Field("", max_length=300, description="Told to the client in the e-mail")


@router.get(f"{WS}/bookings", response=BookingRequestList)
def booking_requests(request: HttpRequest, workspace_slug: str) -> Any:
    """The online bookings waiting for approval that you may decide (a practitioner: their own)."""
    member = api_member(request, workspace_slug)
    items = [approval.request_json(b) for b in approval.requests_for(member)[: approval.MAX_LISTED]]
    return {"items": items, "next_cursor": None}


@router.post(f"{WS}/bookings/{{booking_id}}/accept", response={200: BookingRequestOut, 409: ErrorOut})
def booking_accept(request: HttpRequest, workspace_slug: str, booking_id: Id) -> Any:
    """Accept a request: the session is the client's; they get an e-mail with the invite.
    409 `not_requested` when it was already decided or has lapsed."""
    member = api_member(request, workspace_slug)
    return approval.request_json(approval.booking_accept(member=member, booking_id=booking_id))


@router.post(f"{WS}/bookings/{{booking_id}}/decline", response={200: BookingRequestOut, 409: ErrorOut})
def booking_decline(request: HttpRequest, workspace_slug: str, booking_id: Id, payload: DeclineIn) -> Any:
    """Decline a request: its session is cancelled by the practice and the client told by e-mail."""
    member = api_member(request, workspace_slug)
    booked = approval.booking_decline(member=member, booking_id=booking_id, reason=payload.reason)
    return approval.request_json(booked)


# --- public ---------------------------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    name: str
    duration_minutes: int


class PractitionerOut(Schema):
    id: int
    name: str


class ServiceList(Schema):
    practice: str
    timezone: str
    items: list[ServiceOut]
    next_cursor: str | None


class PractitionerList(Schema):
    items: list[PractitionerOut]
    next_cursor: str | None


class SlotOut(Schema):
    starts_at: str = Field(description="ISO 8601 with the practice's offset")
    ends_at: str
    practitioner_ids: list[int] = Field(description="Who is free then")


class SlotList(Schema):
    items: list[SlotOut]
    next_cursor: str | None


class SlotQuery(Schema):
    therapy_type_id: Id | None = Field(None, description="The service (optional when one is offered)")
    practitioner_id: Id | None = Field(None, description="Omit for anyone")
    date: str = Field(description="The day, YYYY-MM-DD (practice's time zone); the first day with `end`")
    end: str | None = Field(None, description="Last day, YYYY-MM-DD (default: date; at most 14 days)")


class BookingIn(InputSchema):
    therapy_type_id: Id
    practitioner_id: Id | None = Field(None, description="Omit (or null) for anyone free then")
    starts_at: str = Field(description="One of the slots' starts_at")
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str = Field("", max_length=40)
    consent: bool = Field(description="The privacy notice was accepted (must be true)")
    language: str = Field("", description='"en" or "pt-br" for the e-mail (default: the request\'s)')


class BookingOut(Schema):
    status: str = Field(description='Always "check_email": the e-mail tells the rest')
    starts_at: str
    ends_at: str
    practitioner: str
    service: str
    message: str


BOOKING_RESPONSES: dict[int, Any] = {202: BookingOut, 409: ErrorOut, **PUBLIC_ERRORS}


def _open_door(request: HttpRequest) -> selectors.Offer:
    """The public operations' gate, run before any input is read (Ninja runs `auth` first): reads
    are counted per address, and an unknown workspace or one whose booking is off is 404 whatever
    the request carries. No log-in: the "auth" is only this check (and documents no scheme)."""
    if request.method == "GET":
        throttle.hit("read_ip", client_ip(request) or "unknown")
    match = request.resolver_match
    return selectors.offer_for(match.kwargs.get("workspace_slug") if match else None)


def _offer(request: HttpRequest) -> selectors.Offer:
    offer = getattr(request, "auth", None)
    return offer if isinstance(offer, selectors.Offer) else _open_door(request)


@router.get(f"{PUBLIC}/services", auth=_open_door, response={200: ServiceList, **PUBLIC_ERRORS})
def public_services(request: HttpRequest, workspace_slug: str) -> Any:
    """The services that can be booked online (404 when booking is off)."""
    offer = _offer(request)
    return {
        "practice": offer.workspace.name,
        "timezone": offer.workspace.timezone,
        "items": [
            {"id": t.pk, "name": t.name, "duration_minutes": offer.duration(t)} for t in offer.services
        ],
        "next_cursor": None,
    }


@router.get(f"{PUBLIC}/practitioners", auth=_open_door, response={200: PractitionerList, **PUBLIC_ERRORS})
def public_practitioners(request: HttpRequest, workspace_slug: str) -> Any:
    """Who can be booked online: display names only."""
    offer = _offer(request)
    return {"items": [{"id": p.pk, "name": p.display_name} for p in offer.practitioners], "next_cursor": None}


@router.get(f"{PUBLIC}/slots", auth=_open_door, response={200: SlotList, **PUBLIC_ERRORS})
def public_slots(request: HttpRequest, workspace_slug: str, query: Query[SlotQuery]) -> Any:
    """Free slots for a service on the day `date` (or the days [date, end], at most 14), with one
    practitioner or anyone."""
    offer = _offer(request)
    first, last = selectors.parse_days(offer, query.date, query.end)
    only = offer.services[0].pk if len(offer.services) == 1 else None
    slots = selectors.open_slots(
        offer,
        therapy_type_id=query.therapy_type_id if query.therapy_type_id is not None else only,
        practitioner_id=query.practitioner_id,
        first=first,
        last=last,
    )
    return {"items": [services.slot_json(offer, s) for s in slots], "next_cursor": None}


@router.post(f"{PUBLIC}/bookings", auth=_open_door, response=BOOKING_RESPONSES)
def public_book(request: HttpRequest, workspace_slug: str, payload: BookingIn) -> Any:
    """Book a slot. The answer is the same for every e-mail address; the e-mail says the rest (a
    link to confirm, valid for the hold). A slot taken meanwhile: 409 `slot_taken` with `next_slots`."""
    language = payload.language if payload.language in services.LANGUAGES else _request_language(request)
    answer = services.booking_create(
        workspace_slug=workspace_slug,
        therapy_type_id=payload.therapy_type_id,
        practitioner_id=payload.practitioner_id,
        starts_at=payload.starts_at,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        consent=payload.consent,
        ip=client_ip(request) or "unknown",
        language=language,
    )
    tz = answer.offer.workspace.tz
    return Status(
        202,
        {
            "status": "check_email",
            "starts_at": answer.starts_at.astimezone(tz).isoformat(timespec="seconds"),
            "ends_at": answer.ends_at.astimezone(tz).isoformat(timespec="seconds"),
            "practitioner": answer.practitioner.display_name,
            "service": answer.therapy_type.name,
            "message": services.done_message(),
        },
    )


def _request_language(request: HttpRequest) -> str:
    language = (getattr(request, "LANGUAGE_CODE", "") or "en").lower()
    return "pt-br" if language.startswith("pt") else "en"


def register_settings_section() -> None:
    """`"booking": {…}` in GET|PATCH /workspaces/{slug}/settings, through the same service as
    `booking-settings` (its permission, validation and audit). Called from `BookingConfig.ready()`."""

    def read(member: Any) -> dict[str, Any]:
        return _settings_json(selectors.settings_of(member.workspace))

    def update(member: Any, changes: dict[str, Any]) -> None:
        services.booking_settings_update(
            member=member, changes={k: v for k, v in changes.items() if v is not None}
        )

    settings_sections.register(
        settings_sections.Section(
            key="booking",
            out_schema=BookingSettingsOut,
            patch_schema=BookingSettingsIn,
            description="Online booking (the same as GET|PATCH booking-settings)",
            read=read,
            update=update,
        )
    )
