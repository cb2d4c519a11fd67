"""API of the portal: a member sends a client a link (`POST clients/{id}/portal-link`), and the
public door where a client asks for one (`POST /public/portal/{workspace_slug}/link`), which answers
the same whether the address is known or not. See docs/portal.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.accounts.forms import client_ip
from atendo.core.api_schemas import ErrorOut, Id, InputSchema
from atendo.core.errors import NotFound
from atendo.portal import links, services
from atendo.workspaces.api_auth import api_member
from atendo.workspaces.models import Workspace

router = Router(tags=["client portal"])
WS = "/workspaces/{workspace_slug}"
PUBLIC = "/public/portal/{workspace_slug}"


class PortalLinkIn(InputSchema):
    channel: str = Field("email", description='"email", "whatsapp" or "sms" (one that reaches the client)')


class PortalLinkOut(Schema):
    client_id: int
    channel: str
    expires_at: str = Field(description="The link works once, until then")


@router.post(f"{WS}/clients/{{client_id}}/portal-link", response={201: PortalLinkOut, 502: ErrorOut})
def portal_link_send(request: HttpRequest, workspace_slug: str, client_id: Id, payload: PortalLinkIn) -> Any:
    """Send the client a link to their portal (`client.update`). 422 at `channel` when the client
    cannot be reached by it; 502 `send_failed` when the channel refused the message."""
    member = api_member(request, workspace_slug)
    link = services.portal_link_send(member=member, client_id=client_id, channel=payload.channel)
    return Status(
        201,
        {
            "client_id": link.client_id,
            "channel": link.channel,
            "expires_at": link.expires_at.astimezone(member.workspace.tz).isoformat(timespec="seconds"),
        },
    )


class LinkRequestIn(InputSchema):
    email: str = Field(max_length=254)


class LinkRequestOut(Schema):
    status: str = Field(description='Always "check_email"')
    message: str


def _open_door(request: HttpRequest) -> Workspace:
    """The public operation's gate, run before the body is read: an unknown workspace is 404."""
    match = request.resolver_match
    slug = match.kwargs.get("workspace_slug") if match else None
    workspace = Workspace.objects.filter(slug=slug).first() if isinstance(slug, str) else None
    if workspace is None:
        raise NotFound()
    return workspace


@router.post(
    f"{PUBLIC}/link",
    auth=_open_door,
    response={202: LinkRequestOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
)
def portal_link_request(request: HttpRequest, workspace_slug: str, payload: LinkRequestIn) -> Any:
    """Ask for a link to the portal by e-mail. The same 202 for every address (known or not); rate
    limited per client address and per e-mail address (429 `throttled`)."""
    services.portal_link_request(
        workspace_slug=workspace_slug, email=payload.email, ip=client_ip(request) or "unknown"
    )
    minutes = int(links.link_lifetime().total_seconds() // 60)
    return Status(
        202,
        {
            "status": "check_email",
            "message": services.request_answer(minutes),
        },
    )
