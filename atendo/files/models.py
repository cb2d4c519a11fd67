"""Attachments: uploaded files, images and signatures.

The bytes live in a dedicated storage under `settings.ATTACHMENTS_ROOT` with random names, outside
any public URL; they are served only by the access-checked download view and API. `content_type`
is detected from the bytes, never taken from the name or the declared type.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class AttachmentKind(models.TextChoices):
    FILE = "file", _("File")
    IMAGE = "image", _("Image")
    SIGNATURE = "signature", _("Signature")


class Attachment(TenantModel):
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices, default="file")
    # A clinical file's name is sealed (`clinical.crypto`; a token longer than the name): read it
    # with `files.selectors.attachment_name`, after the access checks.
    original_name = models.TextField(_("original name"))
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # Random relative name inside the attachments storage; never derived from the upload's name.
    storage_name = models.CharField(max_length=200, unique=True)
    clinical = models.BooleanField(_("clinical"), default=True)
    uploaded_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        db_index=False,
    )
    session = models.ForeignKey(
        "scheduling.Session",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        db_index=False,
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "client"], name="attachment_ws_client"),
            models.Index(fields=["workspace", "session"], name="attachment_ws_session"),
        ]

    def __str__(self) -> str:
        return self.original_name

    def audit_clinical_label(self) -> tuple[int | None, bool]:
        """A clinical file's name is clinical (see `audit.services.ClinicalLabel`), in the record of
        its client, directly or through its session."""
        client_id = self.client_id
        if client_id is None and self.session_id is not None:
            client_id = self.session.client_id  # type: ignore[union-attr]
        return client_id, self.clinical
