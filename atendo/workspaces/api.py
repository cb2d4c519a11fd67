"""API: the workspace itself. (Settings, members and roles join here.)"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from atendo.core.api_auth import api_member

router = Router(tags=["workspace"])


class WorkspaceOut(Schema):
    slug: str
    name: str
    timezone: str
    currency: str


@router.get("/workspaces/{workspace_slug}", response=WorkspaceOut)
def workspace_detail(request: HttpRequest, workspace_slug: str) -> WorkspaceOut:
    member = api_member(request, workspace_slug)
    return WorkspaceOut.model_validate(member.workspace, from_attributes=True)
