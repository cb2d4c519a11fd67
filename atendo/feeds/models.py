"""A private calendar feed: a secret URL that any calendar app can subscribe to, of one member's
sessions (or, for those who schedule for everyone, of the workspace's).

Only the SHA-256 of the token is stored; the URL is shown once, when it is made. Revoking sets
`revoked_at` (the URL then answers 404); regenerating is revoking and making a new one.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class FeedScope(models.TextChoices):
    MINE = "mine", _("My sessions")
    WORKSPACE = "workspace", _("Every session of the practice")


class CalendarFeed(TenantModel):
    member = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scope = models.CharField(_("sessions"), max_length=20, choices=FeedScope.choices, default=FeedScope.MINE)
    initials_only = models.BooleanField(_("clients' initials only"), default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "member"], name="calendar_feed_ws_member")]
