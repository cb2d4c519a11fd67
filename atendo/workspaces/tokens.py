"""API tokens of a member: created (raw value returned once) and revoked.

The token itself (hashed) is an accounts model; making one for a member of a workspace, and who may
revoke it, are membership rules, so the services live here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.accounts.models import ApiToken, hash_token
from atendo.accounts.signin import SENSITIVE_SCOPE, TOKEN_SCOPES, require_recent_sign_in
from atendo.audit.services import audit_record
from atendo.core.errors import NotFound, ValidationFailed
from atendo.workspaces.models import Membership


@transaction.atomic
def api_token_create(*, member: Membership, name: str, scopes: Iterable[str] = ()) -> tuple[ApiToken, str]:
    """Create a token for the member's own user in the member's workspace. Returns (token, raw).

    `scopes` (`accounts.signin.TOKEN_SCOPES`): "sensitive" lets the token do what otherwise needs a
    recent sign-in, so making such a token needs one too (or a token that has the scope)."""
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in TOKEN_SCOPES]
    if unknown:
        raise ValidationFailed.single("scopes", _("Unknown scope '%(scope)s'.") % {"scope": unknown[0]})
    if SENSITIVE_SCOPE in wanted:
        require_recent_sign_in(member)
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
        scopes=wanted,
    )
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="api_token.create",
        obj=token,
        changes={"scopes": wanted} if wanted else None,
    )
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
