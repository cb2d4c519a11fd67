"""API tokens: created (raw value returned once), listed, revoked."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from atendo.accounts.models import ApiToken, hash_token
from atendo.audit.services import audit_record
from atendo.core.errors import NotFound, ValidationFailed
from atendo.workspaces.models import Membership


@transaction.atomic
def api_token_create(*, member: Membership, name: str) -> tuple[ApiToken, str]:
    """Create a token for the member's own user in the member's workspace. Returns (token, raw)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.single("name", "Give the token a name, e.g. 'Spreadsheet sync'.")
    if len(name) > 100:
        raise ValidationFailed.single("name", "The name is longer than 100 characters.")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        workspace_id=member.workspace_id,
        user=member.user,
        name=name,
        token_hash=hash_token(raw),
        hint=raw[: len(ApiToken.PREFIX) + 4],
    )
    audit_record(workspace=member.workspace, actor=member, action="api_token.create", obj=token)
    return token, raw


@transaction.atomic
def api_token_revoke(*, member: Membership, token_id: int) -> ApiToken:
    """A member revokes their own tokens; `members.manage` may revoke anyone's in the workspace."""
    qs = ApiToken.objects.filter(workspace_id=member.workspace_id, pk=token_id)
    if not member.has_perm("members.manage"):
        qs = qs.filter(user=member.user)
    token = qs.first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(workspace=member.workspace, actor=member, action="api_token.revoke", obj=token)
    return token
