"""The client portal: a client's magic links and their portal sessions (docs/portal.md).

- `PortalLink`: one magic link sent to a client (by e-mail, WhatsApp or SMS). Only the SHA-256 of
  its random token is kept; it opens the portal once (`used_at`) and only until `expires_at`.
- `PortalSession`: what a used link opens, kept server-side and named by the portal cookie (only
  the SHA-256 of the cookie's value is kept). It ends after `idle` without activity, at
  `absolute_expires_at` whatever the activity, or at logout (`ended_at`). It belongs to one client of
  one workspace and is never a Django log-in: it opens no staff page and no staff API.

Nothing clinical is stored here.
"""

from __future__ import annotations

from django.db import models

from atendo.core.models import TenantModel


class PortalLink(TenantModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False)
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10)
    # Who sent it: a member from the client's page, or null when the client asked for it.
    sent_by = models.ForeignKey(
        "workspaces.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "client"], name="portal_link_ws_client")]

    def __str__(self) -> str:
        return f"Portal link {self.pk}"


class PortalSession(TenantModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False)
    key_hash = models.CharField(max_length=64, unique=True)
    link = models.ForeignKey(PortalLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField()  # slides with activity (the idle timeout)
    absolute_expires_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "client"], name="portal_session_ws_client")]

    def __str__(self) -> str:
        return f"Portal session {self.pk}"
