"""Sign-in security decided by a workspace: who must use two-step verification, and how long a
member's browser session may stay idle (docs/security.md).

- `mfa_required_for(member)`: the workspace's `mfa_required` setting (`off`, `clinical` — members
  whose role reads clinical content —, `everyone`).
- `mfa_gate(request, member)`: what a browser session still owes before it may act as `member`:
  `"setup"` (the user has no authenticator yet), `"verify"` (they have one, but this session has not
  passed it: it logged in before they set it up) or None. Pages redirect (`workspace_page`), the
  API answers 403 `mfa_required` (`api_auth`). API tokens are not gated: a token is its own secret,
  made by a signed-in member.
- The idle timeout of a user's sessions is the strictest of their active memberships:
  `idle_timeout_clinical_minutes` (default 30) for a role with clinical access,
  `idle_timeout_minutes` (default 240) otherwise. Registered with accounts (which runs the
  middleware but sits below workspaces) in `WorkspacesConfig.ready()`, with the MFA policy the
  account's security page uses.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest

from atendo.accounts import signin
from atendo.accounts.models import TotpDevice
from atendo.workspaces.models import Membership, Workspace

CLINICAL_CODES = ("clinical.read_own", "clinical.read_all")


def has_clinical_access(member: Membership) -> bool:
    return any(member.has_perm(code) for code in CLINICAL_CODES)


def mfa_required_for(member: Membership) -> bool:
    rule = member.workspace.mfa_required
    if rule == Workspace.MfaRequired.EVERYONE:
        return True
    return rule == Workspace.MfaRequired.CLINICAL and has_clinical_access(member)


def mfa_gate(request: HttpRequest, member: Membership) -> Literal["setup", "verify"] | None:
    """What this browser session still owes before acting as `member` (one query, only where a
    workspace requires two-step verification and the session has not passed it)."""
    if not mfa_required_for(member) or signin.session_sign_in(request).passed_mfa:
        return None
    return "verify" if TotpDevice.objects.filter(user_id=member.user_id).exists() else "setup"


def _memberships(user: Any) -> list[Membership]:
    return list(Membership.objects.filter(user=user, is_active=True).select_related("workspace", "role"))


def idle_minutes_for(member: Membership) -> int:
    ws = member.workspace
    return ws.idle_timeout_clinical_minutes if has_clinical_access(member) else ws.idle_timeout_minutes


def idle_seconds_for_user(user: Any) -> int | None:
    """The strictest idle timeout of the user's workspaces (a user with none: the default for
    members without clinical access)."""
    minutes = [idle_minutes_for(m) for m in _memberships(user)]
    if not minutes:
        minutes = [Workspace._meta.get_field("idle_timeout_minutes").get_default()]
    return 60 * min(minutes)


def workspaces_requiring_mfa(user: Any) -> list[str]:
    return sorted({m.workspace.name for m in _memberships(user) if mfa_required_for(m)})


def register() -> None:
    signin.register_idle_policy(idle_seconds_for_user)
    signin.register_mfa_policy(workspaces_requiring_mfa)
