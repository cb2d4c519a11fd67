"""The audit trail: who did (or read) what, when, in which workspace, and what changed.

Append-only and hash-chained per workspace (`audit.chain`): the model and its queryset refuse
updates and deletes, and on PostgreSQL triggers refuse them below the ORM too (see migration 0003
for what SQLite enforces). The one change accepted is the actor's user id becoming NULL when that
user is deleted (the hashed `actor_label` still names them); a whole workspace's trail goes only
with the workspace, inside `audit.services.audit_erasure`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atendo.audit import chain
from atendo.core.models import TenantQuerySet


class AppendOnly(Exception):
    """An attempt to change or remove an audit event."""


class AuditQuerySet(TenantQuerySet):  # type: ignore[type-arg]
    def update(self, **kwargs: Any) -> int:
        # A deleted user's events keep their (hashed) label; only the link to the user goes.
        if kwargs and set(kwargs) <= {"actor", "actor_id"} and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise AppendOnly(_("The audit trail is append-only: events are never changed."))

    def delete(self) -> Any:
        raise AppendOnly(_("The audit trail is append-only: events are never deleted."))


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
    action = models.CharField(max_length=80)  # e.g. "session.update", "clinical.read"
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    # The client whose record the object belongs to (a plain id: the trail outlives the client),
    # and whether `object_label` is clinical content of that client (an evaluation's title, a
    # clinical file's name). The trail shows such a label only to readers of that client's
    # clinical content (`clinical.redact`, kind "audit"); a neutral "Evaluation #12" otherwise.
    client_id = models.BigIntegerField(null=True, blank=True)
    label_clinical = models.BooleanField(default=False)
    # {"field": [old, new], ...} for updates; free-form detail otherwise. Never clinical text.
    changes = models.JSONField(default=dict, blank=True)
    # Set before hashing (not auto_now_add, which would replace it on insert).
    at = models.DateTimeField(default=timezone.now)
    # The hash chain (`audit.chain`): the event's place in its workspace's chain, the hash of the
    # event before it, and its own.
    seq = models.PositiveBigIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-at"], name="audit_ws_at"),
            models.Index(fields=["workspace", "object_type", "object_id"], name="audit_ws_object"),
        ]
        constraints = [models.UniqueConstraint(fields=["workspace", "seq"], name="audit_ws_seq_unique")]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new event joins its workspace's chain (`audit.chain.append`); a stored one never changes."""
        if not self._state.adding:
            raise AppendOnly(_("The audit trail is append-only: events are never changed."))
        chain.append([self])
        self._state.adding = False

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly(_("The audit trail is append-only: events are never deleted."))


class AuditEventClient(models.Model):
    """Whose records an event read: one row per client of a `clinical.read` event (a calendar range
    reads many), so "who opened this record" is one index scan. Derived from the event's hashed
    `changes["clients"]`; `manage.py verify_audit` checks that they agree."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        AuditEvent, on_delete=models.CASCADE, related_name="client_rows", db_index=False
    )
    client_id = models.BigIntegerField()
    at = models.DateTimeField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "client_id", "-at"], name="auditclient_ws_client_at")]

    def __str__(self) -> str:
        return f"event {self.event_id} read client {self.client_id}"
