"""API: private calendar feeds. `POST calendar-feeds` answers the secret URL once."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_schemas import Id, InputSchema
from atendo.feeds import services
from atendo.feeds.models import CalendarFeed
from atendo.workspaces.api_auth import api_member

router = Router(tags=["calendar feeds"])
PREFIX = "/workspaces/{workspace_slug}/calendar-feeds"


class FeedIn(InputSchema):
    member_id: Id | None = Field(
        None, description="Whose sessions (default: yours; another member needs members.manage)"
    )
    scope: str = Field("mine", description='"mine" (the member\'s sessions) or "workspace" (every session)')
    initials_only: bool = Field(False, description="Clients' initials instead of their first name")


class FeedOut(Schema):
    id: int
    member_id: int
    scope: str
    initials_only: bool
    created_at: str
    last_used_at: str | None


class FeedCreated(FeedOut):
    url: str = Field(description="The secret URL (shown this once)")


class FeedList(Schema):
    items: list[FeedOut]
    next_cursor: str | None


def _json(feed: CalendarFeed) -> dict[str, Any]:
    return {
        "id": feed.pk,
        "member_id": feed.member_id,
        "scope": feed.scope,
        "initials_only": feed.initials_only,
        "created_at": feed.created_at.isoformat(),
        "last_used_at": feed.last_used_at.isoformat() if feed.last_used_at else None,
    }


@router.get(PREFIX, response=FeedList)
def feeds_list(request: HttpRequest, workspace_slug: str) -> Any:
    member = api_member(request, workspace_slug)
    return {
        "items": [_json(f) for f in services.feeds_for(member).order_by("-created_at")[:100]],
        "next_cursor": None,
    }


@router.post(PREFIX, response={201: FeedCreated})
def feeds_create(request: HttpRequest, workspace_slug: str, payload: FeedIn) -> Any:
    member = api_member(request, workspace_slug)
    feed, url = services.feed_create(
        member=member, member_id=payload.member_id, scope=payload.scope, initials_only=payload.initials_only
    )
    return Status(201, {**_json(feed), "url": url})


@router.delete(PREFIX + "/{feed_id}", response={204: None})
def feeds_revoke(request: HttpRequest, workspace_slug: str, feed_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    services.feed_revoke(member=member, feed_id=feed_id)
    return Status(204, None)
