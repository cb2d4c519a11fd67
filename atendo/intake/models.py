"""Intake and consent forms: a form a practice sends a client by link, filled on a phone.

- `ConsentDocument`: a workspace's consent text (title, text, version). Once a request has used a
  version it never changes: editing it makes the next version (`previous` points back, the old row
  is `superseded`), so every signed consent keeps the exact text that was signed.
- `FormRequest`: one form sent to one client: the client's own fields (`client_fields`), a
  session's pre-phase fields (`pre_session`), or a consent document to sign (`consent`). Only a
  hash of the link's token is stored (`links.py` rebuilds the token from the id with the secret
  key). The submitted values land in the client's or the session's record through their services;
  nothing submitted is kept here but the submission's metadata (time, address, user agent) and, for
  a consent, the typed name, the sha256 of the text and the signed PDF (an attachment of the client).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class ConsentDocument(TenantModel):
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    version = models.PositiveIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version", db_index=False
    )
    superseded = models.BooleanField(default=False)
    archived = models.BooleanField(_("archived"), default=False)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["workspace", "superseded", "title"], name="consent_doc_ws_current")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class FormKind(models.TextChoices):
    CLIENT_FIELDS = "client_fields", _("Client details")
    PRE_SESSION = "pre_session", _("Before the session")
    CONSENT = "consent", _("Consent")


class FormRequest(TenantModel):
    kind = models.CharField(_("kind"), max_length=20, choices=FormKind.choices)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False)
    session = models.ForeignKey(
        "scheduling.Session",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    consent_document = models.ForeignKey(
        ConsentDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The keys of the definitions the form covers (client fields or the session's pre phase).
    field_keys = models.JSONField(default=list, blank=True)
    # sha256 of the link's token (null only between the insert and the update that sets it).
    token_hash = models.CharField(max_length=64, null=True, unique=True)
    language = models.CharField(max_length=10, default="en")
    sent_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # The member on whose authority the client's values are saved (the session's practitioner, or
    # a practitioner of the client who may write what the form covers); they are told of the
    # submission.
    practitioner = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    locked = models.BooleanField(default=False)
    submission_ip = models.GenericIPAddressField(null=True, blank=True)
    submission_user_agent = models.CharField(max_length=300, blank=True, default="")
    # Consent only: the name typed by the signer, the sha256 of the exact text shown, the PDF.
    signer_name = models.CharField(max_length=200, blank=True, default="")
    text_sha256 = models.CharField(max_length=64, blank=True, default="")
    consent_pdf = models.ForeignKey(
        "files.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "client", "sent_at"], name="form_request_ws_client"),
            models.Index(fields=["workspace", "session"], name="form_request_ws_session"),
        ]

    def __str__(self) -> str:
        return f"Form request {self.pk}"

    @property
    def title(self) -> str:
        """What the client reads the form as (in the active language): the consent's title, or
        what the form asks for. Never a session's name, which may say more than a title should."""
        if self.kind == FormKind.CONSENT and self.consent_document is not None:
            return self.consent_document.title
        if self.kind == FormKind.PRE_SESSION and self.session is not None:
            local = timezone.localtime(self.session.starts_at, self.workspace.tz)
            when = formats.date_format(local, "SHORT_DATE_FORMAT") + " " + local.strftime("%H:%M")
            return gettext("Before your session on %(when)s") % {"when": when}
        return gettext("Your details")

    @property
    def staff_title(self) -> str:
        """What staff read the request as: the consent's title, or the kind (and the session's time)."""
        if self.kind == FormKind.CONSENT and self.consent_document is not None:
            return self.consent_document.title
        if self.kind == FormKind.PRE_SESSION and self.session is not None:
            local = timezone.localtime(self.session.starts_at, self.workspace.tz)
            when = formats.date_format(local, "SHORT_DATE_FORMAT") + " " + local.strftime("%H:%M")
            return gettext("Before the session of %(when)s") % {"when": when}
        return gettext("Client details")

    @property
    def url(self) -> str:
        """The public /f/ URL (rebuilt from the id: only the token's hash is stored)."""
        from atendo.intake.links import request_url

        return request_url(self)

    @property
    def due(self) -> dt.datetime:
        """Until when the link works (the portal shows it)."""
        return self.expires_at

    @property
    def status(self) -> str:
        if self.submitted_at is not None:
            return "submitted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"
