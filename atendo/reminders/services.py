"""Reminders' writes and reads: the workspace's settings, a client's preferences and consent, the
log of what was sent, and the client's link (confirm, cancel, stop reminders).

Settings need `workspace.manage`; a client's preferences `client.read` to see and `client.update`
to change; the log `session.read` (it names sessions, never a message's words). The link acts for
no member: it calls scheduling's `session_confirm` / `session_cancel` with `member=None`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.clients.selectors import client_get_for
from atendo.core.clean import FieldErrors, clean_bool, clean_choice, clean_int, clean_text
from atendo.core.errors import ValidationFailed
from atendo.core.times import parse_hhmm_time
from atendo.reminders import texts
from atendo.reminders.channels import backend
from atendo.reminders.links import LinkExpired, LinkInvalid, read_token
from atendo.reminders.models import Channel, ClientReminderPrefs, Notification, ReminderSettings
from atendo.reminders.sending import plan_confirmation, settings_of, test_message
from atendo.scheduling.models import Session, SessionStatus
from atendo.scheduling.services.status import session_cancel, session_confirm
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

CHANNELS = [c.value for c in Channel]
MAX_OFFSETS = 4
MIN_OFFSET, MAX_OFFSET = 15, 7 * 24 * 60
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,100}$")
LINK_ACTOR = "client (reminder link)"


# --- settings ---------------------------------------------------------------------------------


def reminder_settings_get(*, member: Membership) -> ReminderSettings:
    require(member, "workspace.manage")
    return settings_of(member.workspace)


def settings_to_json(rs: ReminderSettings) -> dict[str, Any]:
    return {
        "enabled": rs.enabled,
        "channels": list(rs.channels),
        "offsets_minutes": list(rs.offsets_minutes),
        "quiet_hours": {"start": rs.quiet_start.strftime("%H:%M"), "end": rs.quiet_end.strftime("%H:%M")},
        "templates": {
            lang: {part: texts.text_of(rs.templates, lang, part) for part in texts.PARTS}
            for lang in texts.LANGUAGES
        },
        "customized": sorted(rs.templates),
        "whatsapp_template": rs.whatsapp_template,
        "placeholders": list(texts.PLACEHOLDERS),
    }


def _clean_channels(value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        raise ValidationFailed.single(path, _("Give a list of channels."))
    out: list[str] = []
    for i, item in enumerate(value):
        channel = clean_choice(item, f"{path}.{i}", CHANNELS)
        if channel not in out:
            out.append(channel)
    return out


def _clean_offsets(value: Any, path: str) -> list[int]:
    if not isinstance(value, list) or len(value) > MAX_OFFSETS:
        raise ValidationFailed.single(
            path, _("Give up to %(n)d times before the session, in minutes.") % {"n": MAX_OFFSETS}
        )
    offsets = [
        clean_int(v, f"{path}.{i}", minimum=MIN_OFFSET, maximum=MAX_OFFSET) for i, v in enumerate(value)
    ]
    return sorted(set(offsets), reverse=True)


@transaction.atomic
def reminder_settings_update(*, member: Membership, changes: dict[str, Any]) -> ReminderSettings:
    """Change some of the settings (only the keys given); every bad key is named at its path."""
    require(member, "workspace.manage")
    rs = ReminderSettings.objects.select_for_update().get(pk=settings_of(member.workspace).pk)
    known = {"enabled", "channels", "offsets_minutes", "quiet_hours", "templates", "whatsapp_template"}
    errors = FieldErrors()
    for key in sorted(set(changes) - known):
        errors.add(key, _("Unknown field."))
    new: dict[str, Any] = {}
    if "enabled" in changes:
        new["enabled"] = errors.check(clean_bool, changes["enabled"], "enabled")
    if "channels" in changes:
        new["channels"] = errors.check(_clean_channels, changes["channels"], "channels")
    if "offsets_minutes" in changes:
        new["offsets_minutes"] = errors.check(_clean_offsets, changes["offsets_minutes"], "offsets_minutes")
    if "quiet_hours" in changes:
        quiet = changes["quiet_hours"]
        if not isinstance(quiet, dict):
            errors.add("quiet_hours", _('Give {"start": "HH:mm", "end": "HH:mm"}.'))
        else:
            for key in sorted(set(quiet) - {"start", "end"}):
                errors.add(f"quiet_hours.{key}", _("Unknown field."))
            if "start" in quiet:
                new["quiet_start"] = errors.check(parse_hhmm_time, quiet["start"], path="quiet_hours.start")
            if "end" in quiet:
                new["quiet_end"] = errors.check(parse_hhmm_time, quiet["end"], path="quiet_hours.end")
    if "templates" in changes:
        cleaned = errors.check(texts.clean_templates, changes["templates"])
        if cleaned is not None:
            new["templates"] = texts.merge_templates(rs.templates, cleaned)
    if "whatsapp_template" in changes:
        name = errors.check(clean_text, changes["whatsapp_template"], "whatsapp_template", max_length=100)
        if name and not TEMPLATE_NAME.match(name):
            errors.add("whatsapp_template", _("A template name has lower-case letters, digits and _ only."))
        new["whatsapp_template"] = name
    errors.raise_if_any()
    enabled = new.get("enabled", rs.enabled)
    if enabled and not new.get("channels", rs.channels):
        raise ValidationFailed.single("channels", _("Choose at least one channel to send reminders by."))
    changed = {}
    for field, value in new.items():
        old = getattr(rs, field)
        if old != value:
            changed[field] = "changed" if field == "templates" else [_jsonable(old), _jsonable(value)]
            setattr(rs, field, value)
    if changed:
        rs.save()
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="reminders.settings_update",
            object_type="reminder_settings",
            object_id=str(rs.pk),
            object_label=_("Reminders"),
            changes=changed,
        )
    return rs


def _jsonable(value: Any) -> Any:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else value


def reminder_test_send(
    *, member: Membership, channel: str, to: str = "", language: str = ""
) -> Notification | None:
    """Send a sample reminder (made-up client and time) to the member themselves, or to `to`."""
    require(member, "workspace.manage")
    channel = clean_choice(channel, "channel", CHANNELS)
    language = texts.language_of(language or member.workspace.language)
    rs = settings_of(member.workspace)
    if channel == Channel.EMAIL:
        address = clean_text(to, "to", max_length=254) or member.user.email
    else:
        from atendo.reminders.phones import region_of, to_e164

        address = to_e164(clean_text(to, "to", max_length=40), region_of(member.workspace.currency)) or ""
        if not address:
            raise ValidationFailed.single(
                "to", _("Give a phone number with its area code, e.g. +55 11 98765-4321.")
            )
    message = test_message(
        rs, to=address, channel=channel, language=language, practitioner=member.user.display_name
    )
    backend(channel).send(message)
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="reminders.test_send",
        object_type="reminder_settings",
        object_id=str(rs.pk),
        object_label=_("Reminders"),
        changes={"channel": channel},
    )
    return None


# --- a client's preferences and consent --------------------------------------------------------------


def prefs_get(*, member: Membership, client_id: int) -> tuple[Client, ClientReminderPrefs | None]:
    require(member, "client.read")
    client = client_get_for(member, client_id)
    return client, ClientReminderPrefs.objects.for_workspace(member.workspace).filter(client=client).first()


def prefs_to_json(client: Client, prefs: ClientReminderPrefs | None) -> dict[str, Any]:
    from atendo.reminders.phones import region_of, to_e164

    def consent(channel: str) -> dict[str, Any]:
        at = getattr(prefs, f"{channel}_opt_out_at", None) if prefs else None
        return {
            "opted_out": at is not None,
            "changed_at": at.isoformat() if at else None,
            "how": getattr(prefs, f"{channel}_opt_out_how", "") if prefs else "",
        }

    return {
        "client_id": client.pk,
        "reminder_channel": prefs.channel if prefs else "",
        "language": prefs.language if prefs else "",
        "reminders_opt_out": {c: consent(c) for c in CHANNELS},
        "phone_e164": to_e164(client.phone, region_of(client.workspace.currency)) if client.phone else None,
    }


def _set_opt_out(prefs: ClientReminderPrefs, channel: str, out: bool, how: str, now: dt.datetime) -> bool:
    if out == prefs.opted_out(channel):
        return False
    setattr(prefs, f"{channel}_opt_out_at", now if out else None)
    setattr(prefs, f"{channel}_opt_out_how", how[:200])
    return True


@transaction.atomic
def prefs_set(*, member: Membership, client_id: int, changes: dict[str, Any]) -> ClientReminderPrefs:
    """A client's preferred channel, language, and opt-out per channel (with when and who recorded it)."""
    require(member, "client.read", "client.update")
    client = client_get_for(member, client_id)
    errors = FieldErrors()
    for key in sorted(set(changes) - {"reminder_channel", "language", "reminders_opt_out"}):
        errors.add(key, _("Unknown field."))
    channel = language = None
    if "reminder_channel" in changes:
        channel = errors.check(
            clean_choice, changes["reminder_channel"] or "", "reminder_channel", ["", *CHANNELS]
        )
    if "language" in changes:
        language = errors.check(clean_choice, changes["language"] or "", "language", ["", *texts.LANGUAGES])
    opt_out: dict[str, bool] = {}
    if "reminders_opt_out" in changes:
        given = changes["reminders_opt_out"]
        if not isinstance(given, dict):
            errors.add(
                "reminders_opt_out",
                _('Give {"email": true|false, "whatsapp": true|false, "sms": true|false}.'),
            )
        else:
            for key, value in given.items():
                if key not in CHANNELS:
                    errors.add(f"reminders_opt_out.{key}", _("Unknown channel."))
                    continue
                flag = errors.check(clean_bool, value, f"reminders_opt_out.{key}")
                if flag is not None:
                    opt_out[key] = flag
    errors.raise_if_any()
    prefs, _created = ClientReminderPrefs.objects.select_for_update().get_or_create(
        workspace=member.workspace, client=client
    )
    now = timezone.now()
    changed: dict[str, Any] = {}
    if channel is not None and channel != prefs.channel:
        changed["reminder_channel"] = [prefs.channel, channel]
        prefs.channel = channel
    if language is not None and language != prefs.language:
        changed["language"] = [prefs.language, language]
        prefs.language = language
    how = _("recorded by %(name)s") % {"name": member.user.display_name}
    for key, flag in opt_out.items():
        if _set_opt_out(prefs, key, flag, how, now):
            changed[f"opt_out.{key}"] = flag
    if changed:
        prefs.save()
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="client.reminder_prefs",
            obj=client,
            changes=changed,
        )
    return prefs


# --- the log -------------------------------------------------------------------------------------


def notifications_for(*, member: Membership, session_id: int | None = None) -> QuerySet[Notification]:
    require(member, "session.read")
    qs = Notification.objects.for_workspace(member.workspace).select_related("session")
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    return qs.order_by("-pk")


def notification_to_json(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "session_id": n.session_id,
        "channel": n.channel,
        "kind": n.kind,
        "offset_minutes": n.offset_minutes,
        "status": n.status,
        "attempts": n.attempts,
        "due_at": n.due_at.isoformat(),
        "sent_at": n.sent_at.isoformat() if n.sent_at else None,
        "status_at": n.status_at.isoformat() if n.status_at else None,
        "error_code": n.error_code,
        "error_message": n.error_message,
    }


# --- the client's link ----------------------------------------------------------------------------


@dataclass
class LinkState:
    """What the link's page shows: `state` is open, confirmed, cancelled, changed, past, expired or
    invalid; `session` is None for the last two (and for a session gone)."""

    state: str
    session: Session | None = None
    workspace: Workspace | None = None


def link_state(token: str, now: dt.datetime | None = None) -> LinkState:
    now = now or timezone.now()
    try:
        target = read_token(token)
    except LinkExpired:
        return LinkState("expired")
    except LinkInvalid:
        return LinkState("invalid")
    workspace = Workspace.objects.filter(pk=target.workspace_id).first()
    session = (
        Session.objects.for_workspace(workspace)
        .select_related("practitioner__user", "client")
        .filter(pk=target.session_id)
        .first()
        if workspace
        else None
    )
    if session is None or workspace is None:
        return LinkState("invalid")
    if int(session.starts_at.timestamp()) != target.planned_start:
        return LinkState("changed", session, workspace)
    if session.status == SessionStatus.CANCELLED:
        return LinkState("cancelled", session, workspace)
    if session.starts_at <= now or session.status != SessionStatus.SCHEDULED:
        return LinkState("past", session, workspace)
    if session.confirmed_at is not None:
        return LinkState("confirmed", session, workspace)
    return LinkState("open", session, workspace)


def link_respond(token: str, action: str) -> LinkState:
    """The client's answer: confirm, cancel, or stop reminders. -> the page's new state."""
    current = link_state(token)
    session, workspace = current.session, current.workspace
    if session is None or workspace is None or current.state in ("changed", "expired", "invalid"):
        return current
    if action == "stop":
        with transaction.atomic():
            prefs, _created = ClientReminderPrefs.objects.select_for_update().get_or_create(
                workspace=workspace, client_id=session.client_id
            )
            now = timezone.now()
            changed = [c for c in CHANNELS if _set_opt_out(prefs, c, True, LINK_ACTOR, now)]
            if changed:
                prefs.save()
                audit_record(
                    workspace=workspace,
                    actor=None,
                    actor_label=LINK_ACTOR,
                    action="client.reminder_prefs",
                    obj=session.client,
                    changes={f"opt_out.{c}": True for c in changed},
                )
        return LinkState("stopped", session, workspace)
    if current.state != "open":
        return current
    if action == "confirm":
        session_confirm(workspace=workspace, member=None, session_id=session.pk, actor_label=LINK_ACTOR)
    elif action == "cancel":
        session_cancel(
            workspace=workspace, member=None, session_id=session.pk, by="client", actor_label=LINK_ACTOR
        )
    else:
        raise ValidationFailed.single("action", _("Unknown answer."))
    after = link_state(token)
    if after.session is not None:
        _tell_practitioner(after.session, workspace, action)
        if action == "confirm":
            plan_confirmation(after.session)
    return after


def _tell_practitioner(session: Session, workspace: Workspace, action: str) -> None:
    """An e-mail to the practitioner: the client confirmed or cancelled (when, who; nothing else)."""
    user = session.practitioner.user
    if not user.email:
        return
    with translation.override(texts.language_of(workspace.language)):
        when = session.starts_at.astimezone(workspace.tz)
        values = {
            "client": session.client.name,
            "date": texts.values_for(
                first_name="",
                starts_local=when,
                practitioner="",
                practice="",
                address="",
                link="",
                language=texts.language_of(workspace.language),
            )["date"],
            "time": when.strftime("%H:%M"),
        }
        if action == "confirm":
            subject = _("%(client)s confirmed the session of %(date)s at %(time)s") % values
        else:
            late = " " + _("(late cancellation)") if session.cancellation_late else ""
            subject = _("%(client)s cancelled the session of %(date)s at %(time)s") % values + late
    transaction.on_commit(
        lambda: send_mail(
            subject, subject + "\n", django_settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True
        )
    )
