"""API: reminder settings, a client's reminder preferences (consent), and the notifications log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from atendo.core.api_schemas import Id, InputSchema
from atendo.core.pagination import DEFAULT_PAGE, keyset_page
from atendo.reminders import services
from atendo.workspaces.api_auth import api_member

router = Router(tags=["reminders"])
WS = "/workspaces/{workspace_slug}"


class QuietHours(Schema):
    start: str
    end: str


class TemplateText(Schema):
    subject: str
    body: str
    sms: str


class ReminderSettingsOut(Schema):
    enabled: bool
    channels: list[str]
    offsets_minutes: list[int]
    quiet_hours: QuietHours
    templates: dict[str, TemplateText]
    customized: list[str] = Field(description="The languages whose texts the workspace changed")
    whatsapp_template: str
    placeholders: list[str]


class QuietHoursIn(InputSchema):
    start: str | None = None
    end: str | None = None


class TemplateTextIn(InputSchema):
    subject: str | None = None
    body: str | None = None
    sms: str | None = None


class ReminderSettingsIn(InputSchema):
    enabled: bool | None = None
    channels: list[str] | None = Field(None, description='"email", "whatsapp", "sms"')
    offsets_minutes: list[int] | None = Field(None, description="Minutes before the start, e.g. [1440, 120]")
    quiet_hours: QuietHoursIn | None = Field(
        None, description='No WhatsApp or SMS between these local times ("HH:mm")'
    )
    templates: dict[str, TemplateTextIn] | None = Field(
        None, description="Per language (pt-BR, en): subject, body and SMS text with {placeholders}"
    )
    whatsapp_template: str | None = None


class TestSendIn(InputSchema):
    channel: str
    to: str = Field("", description="An e-mail or phone; default: your own e-mail")
    language: str = ""


@router.get(f"{WS}/reminder-settings", response=ReminderSettingsOut)
def reminder_settings_get(request: HttpRequest, workspace_slug: str) -> Any:
    """The workspace's reminder settings (`workspace.manage`)."""
    member = api_member(request, workspace_slug)
    return services.settings_to_json(services.reminder_settings_get(member=member))


@router.patch(f"{WS}/reminder-settings", response=ReminderSettingsOut)
def reminder_settings_patch(request: HttpRequest, workspace_slug: str, payload: ReminderSettingsIn) -> Any:
    """Change some settings (only the keys sent)."""
    member = api_member(request, workspace_slug)
    changes = payload.model_dump(exclude_unset=True)
    for key in ("quiet_hours",):
        if isinstance(changes.get(key), dict):
            changes[key] = {k: v for k, v in changes[key].items() if v is not None}
    if isinstance(changes.get("templates"), dict):
        changes["templates"] = {
            lang: {k: v for k, v in (parts or {}).items() if v is not None}
            for lang, parts in changes["templates"].items()
        }
    rs = services.reminder_settings_update(member=member, changes=changes)
    return services.settings_to_json(rs)


@router.post(f"{WS}/reminder-settings/test", response={204: None})
def reminder_settings_test(request: HttpRequest, workspace_slug: str, payload: TestSendIn) -> Any:
    """Send a sample reminder (a made-up client) to yourself or to `to`."""
    member = api_member(request, workspace_slug)
    services.reminder_test_send(
        member=member, channel=payload.channel, to=payload.to, language=payload.language
    )
    return Status(204, None)


class Consent(Schema):
    opted_out: bool
    changed_at: str | None
    how: str


class ReminderPrefsOut(Schema):
    client_id: int
    reminder_channel: str = Field(description='"" (every channel of the workspace), "email" or "whatsapp"')
    language: str
    reminders_opt_out: dict[str, Consent]
    phone_e164: str | None = Field(description="The client's phone in E.164, null when it is no valid number")


class ReminderPrefsIn(InputSchema):
    reminder_channel: str | None = None
    language: str | None = None
    reminders_opt_out: dict[str, bool] | None = None


@router.get(f"{WS}/clients/{{client_id}}/reminders", response=ReminderPrefsOut)
def client_reminders_get(request: HttpRequest, workspace_slug: str, client_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    client, prefs = services.prefs_get(member=member, client_id=client_id)
    return services.prefs_to_json(client, prefs)


@router.put(f"{WS}/clients/{{client_id}}/reminders", response=ReminderPrefsOut)
def client_reminders_put(
    request: HttpRequest, workspace_slug: str, client_id: Id, payload: ReminderPrefsIn
) -> Any:
    """The client's preferred channel and language, and their opt-out per channel (LGPD: when and
    who recorded it is kept)."""
    member = api_member(request, workspace_slug)
    services.prefs_set(member=member, client_id=client_id, changes=payload.model_dump(exclude_unset=True))
    client, prefs = services.prefs_get(member=member, client_id=client_id)
    return services.prefs_to_json(client, prefs)


class NotificationOut(Schema):
    id: int
    session_id: int
    channel: str
    kind: str
    offset_minutes: int
    status: str
    attempts: int
    due_at: str
    sent_at: str | None
    status_at: str | None
    error_code: str
    error_message: str


class NotificationList(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


@router.get(f"{WS}/notifications", response=NotificationList)
def notifications_list(
    request: HttpRequest,
    workspace_slug: str,
    session_id: Id | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> Any:
    """What was planned or sent, newest first (`session.read`): channel, kind, status, never the
    message; `next_cursor` gives the next page."""
    member = api_member(request, workspace_slug)
    qs = services.notifications_for(member=member, session_id=session_id)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    return {"items": [services.notification_to_json(n) for n in rows], "next_cursor": next_cursor}
