"""API: who am I (`/me`, my memberships), and my API tokens in a workspace
(`/workspaces/{slug}/api-tokens`). Both answer in terms of memberships, hence in workspaces."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.accounts.models import ApiToken
from atendo.core.api_schemas import Id, InputSchema
from atendo.workspaces import selectors
from atendo.workspaces.api_auth import api_member
from atendo.workspaces.models import Membership
from atendo.workspaces.tokens import api_token_create, api_token_revoke

router = Router(tags=["accounts"])


class MeWorkspace(Schema):
    slug: str
    name: str
    role: str
    is_owner: bool
    permissions: list[str]


class MeOut(Schema):
    id: int
    email: str
    name: str
    language: str
    workspaces: list[MeWorkspace] = Field(
        description="With a bearer token: only the token's workspace (a token opens no other)."
    )


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    memberships = (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("workspace", "role")
        .order_by("workspace__name", "pk")
    )
    api_token: ApiToken | None = getattr(request, "api_token", None)
    if api_token is not None:
        memberships = memberships.filter(workspace_id=api_token.workspace_id)
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "language": user.language,
        "workspaces": [
            {
                "slug": m.workspace.slug,
                "name": m.workspace.name,
                "role": m.role.name,
                "is_owner": m.role.is_owner,
                "permissions": sorted(m.role.codes),
            }
            for m in memberships
        ],
    }


class TokenOut(Schema):
    id: int
    name: str
    hint: str = Field(description="The first characters of the token, to recognise it.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_active: bool
    scopes: list[str] = Field(
        description='`["sensitive"]`: the token may do sensitive acts (which otherwise answer 403 '
        "`reauth_required`: role and member changes, assigning practitioners, security settings, full "
        "exports)."
    )


class TokenList(Schema):
    items: list[TokenOut]
    next_cursor: str | None


class TokenCreate(InputSchema):
    name: str = Field(max_length=100)
    scopes: list[Literal["sensitive"]] = Field(
        default_factory=list,
        max_length=1,
        description='`["sensitive"]` for a token that may do sensitive acts; creating one is itself one '
        "(a recent sign-in in the web app, or a token with that scope).",
    )


class TokenCreated(TokenOut):
    token: str = Field(description="The raw token. It is shown only this once; only its hash is stored.")


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "hint": token.hint,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "is_active": token.is_active,
        "scopes": list(token.scopes or []),
    }


@router.get("/workspaces/{workspace_slug}/api-tokens", response=TokenList)
def tokens_list(request: HttpRequest, workspace_slug: str) -> Any:
    """Your own tokens in this workspace, newest first, with when each was last used."""
    member = api_member(request, workspace_slug)
    return {"items": [token_json(t) for t in selectors.api_tokens_list(member)], "next_cursor": None}


@router.post("/workspaces/{workspace_slug}/api-tokens", response={201: TokenCreated})
def tokens_create(request: HttpRequest, workspace_slug: str, payload: TokenCreate) -> Any:
    member = api_member(request, workspace_slug)
    token, raw = api_token_create(member=member, name=payload.name, scopes=payload.scopes)
    return Status(201, {**token_json(token), "token": raw})


@router.delete("/workspaces/{workspace_slug}/api-tokens/{token_id}", response={204: None})
def tokens_revoke(request: HttpRequest, workspace_slug: str, token_id: Id) -> Any:
    """Revoke one of your tokens (`members.manage` may revoke anyone's in the workspace)."""
    member = api_member(request, workspace_slug)
    api_token_revoke(member=member, token_id=token_id)
    return Status(204, None)
