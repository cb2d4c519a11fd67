"""The audit trail: who did (or read) what, when, in which workspace, and what changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from atendo.core.models import TenantQuerySet


class AuditEvent(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(max_length=254, blank=True, help_text="Kept if the user is deleted.")
    action = models.CharField(max_length=80)  # e.g. "session.update", "client.read_clinical"
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    # {"field": [old, new], ...} for updates; free-form detail otherwise. Never clinical text.
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-at"], name="audit_ws_at"),
            models.Index(fields=["workspace", "object_type", "object_id"], name="audit_ws_object"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )
