"""Reminders: a workspace's settings, each client's preferences and consent, and every message.

- `ReminderSettings`: one row per workspace (made on first use): on/off, the channels, the offsets
  before a session, quiet hours for WhatsApp and SMS, the texts per language.
- `ClientReminderPrefs`: one row per client who has any: the preferred channel and language, and
  the opt-out per channel with when and how it was recorded (LGPD: consent is provable).
- `Notification`: one message to send or sent. Its unique key (session, channel, kind, offset,
  the session start it was planned for) makes a reminder exist at most once, whatever number of
  workers plan it at the same time; `status` is a small state machine (see `reminders.sending`).
  Nothing of the message body is stored: only what was sent, to which channel, and how it went.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")


class Kind(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    # The e-mail a client gets after confirming from their link, with the session's .ics invite.
    CONFIRMATION = "confirmation", _("Confirmation")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not sent (session changed)")
    SKIPPED = "skipped", _("Not sent")


DEFAULT_OFFSETS = [1440, 120]
DEFAULT_QUIET_START = dt.time(21, 0)
DEFAULT_QUIET_END = dt.time(8, 0)


def default_offsets() -> list[int]:
    return list(DEFAULT_OFFSETS)


def default_channels() -> list[str]:
    return [Channel.EMAIL.value]


class ReminderSettings(TenantModel):
    enabled = models.BooleanField(_("send reminders"), default=False)
    channels = models.JSONField(_("channels"), default=default_channels)
    offsets_minutes = models.JSONField(_("when"), default=default_offsets)
    # No WhatsApp or SMS inside [quiet_start, quiet_end) local time: they wait for the end (e-mail
    # does not).
    quiet_start = models.TimeField(_("quiet hours from"), default=DEFAULT_QUIET_START)
    quiet_end = models.TimeField(_("quiet hours until"), default=DEFAULT_QUIET_END)
    # {"pt-BR": {"subject": "...", "body": "...", "sms": "..."}, "en": {...}}; empty: the built-in text.
    templates = models.JSONField(_("texts"), default=dict, blank=True)
    # The approved WhatsApp template's name (its body takes the placeholders in `WHATSAPP_PARAMS`).
    whatsapp_template = models.CharField(
        _("WhatsApp template name"), max_length=100, default="session_reminder", blank=True
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="reminder_settings_one_per_ws")]


class ClientReminderPrefs(TenantModel):
    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="reminder_prefs", db_index=False
    )
    # "" = every channel the workspace uses; else only this one.
    channel = models.CharField(_("preferred channel"), max_length=20, blank=True, default="")
    # "" = the workspace's language.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    email_opt_out_at = models.DateTimeField(null=True, blank=True)
    email_opt_out_how = models.CharField(max_length=200, blank=True, default="")
    whatsapp_opt_out_at = models.DateTimeField(null=True, blank=True)
    whatsapp_opt_out_how = models.CharField(max_length=200, blank=True, default="")
    sms_opt_out_at = models.DateTimeField(null=True, blank=True)
    sms_opt_out_how = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["workspace", "client"], name="reminder_prefs_ws_client")]

    def opted_out(self, channel: str) -> bool:
        return getattr(self, f"{channel}_opt_out_at", None) is not None


class Notification(TenantModel):
    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REMINDER)
    offset_minutes = models.PositiveIntegerField(default=0)
    # The session start this message was planned for: a moved session plans new ones.
    planned_start = models.DateTimeField()
    due_at = models.DateTimeField()
    status = models.CharField(
        _("status"), max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, default="")
    # A code and a short text from the provider or from us; never the message or the address.
    error_code = models.CharField(max_length=50, blank=True, default="")
    error_message = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "session", "channel", "kind", "offset_minutes", "planned_start"],
                name="notification_once",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "session"], name="notification_ws_session"),
            models.Index(fields=["workspace", "status", "next_attempt_at"], name="notification_ws_due"),
            models.Index(fields=["workspace", "created_at"], name="notification_ws_created"),
            models.Index(fields=["provider_message_id"], name="notification_provider_id"),
        ]
