"""An export: a file built in the background for the member who asked, then downloaded by them.

The row is the job (`status` queued → running → ready | failed; ready → expired when its file is
deleted, `EXPORT_TTL_HOURS` after it was made) and the receipt (who asked, which client, what kind
and format, what was withheld). The file lives under `settings.EXPORTS_ROOT` (`exports.storage`),
outside any public URL, and is served only by the access-checked download. Nothing clinical is
stored on the row: the file name is made of ids and a date, `withheld` names parts, never content.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


# Statuses whose export may still become (or is) a file to download.
LIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.READY)


class Export(TenantModel):
    requested_by = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20)
    format = models.CharField(_("format"), max_length=10)
    # A client export's client; a deleted client takes its exports with it (the periodic sweep
    # then deletes the file no row names any more).
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # What the kind cleaned from the request (never a secret: the row is readable by the operator).
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    # Relative name under EXPORTS_ROOT, random; empty until the file exists.
    storage_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # The parts left out for this reader (e.g. "sessions", "clinical_evaluations"), never content.
    withheld = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "requested_by", "created_at"], name="export_ws_member_created"),
            models.Index(fields=["workspace", "status", "expires_at"], name="export_ws_status_expires"),
        ]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.kind}, {self.format})"
