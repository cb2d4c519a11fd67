"""Planning and sending reminders, exactly once.

Planning (`plan_due`) writes one `Notification` per (session, channel, offset, planned start) that is
due: the unique constraint makes a second planner's insert a no-op (`ignore_conflicts`), so two
workers planning at once still make one row.

Sending (`send_due`) is a small state machine per row:

    pending --claim--> sending --sent--> sent (--webhook--> delivered --> read)
                          |--transient error--> pending (later, with backoff) ... --> failed
                          |--permanent error--> failed
                          `--session changed, opted out--> cancelled / skipped

A worker *claims* a row with one conditional UPDATE (status pending, or a claim older than
`LEASE`): of two workers racing, exactly one updates it, and only the claimant sends it. A worker
killed after claiming and before sending leaves a `sending` row; once its lease is over another
worker claims and sends it, so the message is neither lost nor sent twice. (A worker killed between
the provider's "accepted" and recording it cannot be told apart from one that never sent; the lease
is long enough that this takes a crash in that instant.)

A reminder is due `offset` before the start, counted on the clock of the practice: an offset of
whole days is the same wall-clock time that many days before (a 24 h reminder of a 09:00 session is
sent at 09:00 the day before, across a change of the clocks too); the rest is counted in minutes. A
reminder more than half its offset late (the worker was down) is not sent any more.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.reminders import texts
from atendo.reminders.channels import Message, SendFailed, backend
from atendo.reminders.links import link_url, make_token
from atendo.reminders.models import (
    Channel,
    ClientReminderPrefs,
    Kind,
    Notification,
    NotificationStatus,
    ReminderSettings,
)
from atendo.reminders.phones import region_of, to_e164
from atendo.scheduling.ics import new_calendar, session_event
from atendo.scheduling.models import Session, SessionStatus
from atendo.workspaces.models import Workspace

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 5, 15, 60)
DAY = 24 * 60


def due_at(starts_at: dt.datetime, offset_minutes: int, tz: dt.tzinfo) -> dt.datetime:
    days, minutes = divmod(offset_minutes, DAY)
    local = starts_at.astimezone(tz)
    wall = (local.replace(tzinfo=None) - dt.timedelta(days=days)).replace(tzinfo=tz)
    return wall.astimezone(dt.UTC) - dt.timedelta(minutes=minutes)


def _in_quiet_hours(local: dt.time, start: dt.time, end: dt.time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def after_quiet_hours(moment: dt.datetime, rs: ReminderSettings, tz: dt.tzinfo) -> dt.datetime:
    """`moment`, or the end of the quiet hours it falls in (local time of the practice)."""
    local = moment.astimezone(tz)
    if not _in_quiet_hours(local.time(), rs.quiet_start, rs.quiet_end):
        return moment
    end = local.replace(hour=rs.quiet_end.hour, minute=rs.quiet_end.minute, second=0, microsecond=0)
    if end <= local:
        end = (end.replace(tzinfo=None) + dt.timedelta(days=1)).replace(tzinfo=tz)
    return end.astimezone(dt.UTC)


def address_of(client: Client, channel: str, workspace: Workspace) -> str | None:
    if channel == Channel.EMAIL:
        return client.email or None
    return to_e164(client.phone, region_of(workspace.currency))


def channels_for(
    client: Client, prefs: ClientReminderPrefs | None, rs: ReminderSettings, workspace: Workspace
) -> list[str]:
    """The channels a client gets reminders by: the workspace's, narrowed to the client's preferred
    one when it can reach them, never one they opted out of or have no address for."""
    usable = [
        c
        for c in rs.channels
        if not (prefs and prefs.opted_out(c)) and address_of(client, c, workspace) is not None
    ]
    if prefs and prefs.channel in usable:
        return [prefs.channel]
    return usable


def settings_of(workspace: Workspace) -> ReminderSettings:
    rs = ReminderSettings.objects.for_workspace(workspace).first()
    if rs is None:
        rs, _created = ReminderSettings.objects.get_or_create(workspace=workspace)
    return rs


def plan_due(now: dt.datetime | None = None) -> int:
    """Write the rows of every reminder due by `now` in every workspace that sends them. -> rows new."""
    now = now or timezone.now()
    made = 0
    for rs in ReminderSettings.objects.filter(enabled=True).select_related("workspace"):
        made += plan_workspace(rs, now)
    return made


def plan_workspace(rs: ReminderSettings, now: dt.datetime) -> int:
    workspace = rs.workspace
    # Rows still waiting for a session that was cancelled or moved since: they go nowhere.
    Notification.objects.for_workspace(workspace).filter(status=NotificationStatus.PENDING).filter(
        ~Q(session__status=SessionStatus.SCHEDULED) | ~Q(planned_start=F("session__starts_at"))
    ).update(status=NotificationStatus.CANCELLED, status_at=now)
    offsets = sorted({int(o) for o in rs.offsets_minutes})
    if not offsets or not rs.channels:
        return 0
    tz = workspace.tz
    # A reminder `offset` minutes ahead is due (below) when its local due time is between half the
    # offset ago and now, so its session starts within [now + offset/2, now + offset] give or take
    # a change of the clocks (at most an hour). Only those windows are read, with two hours of
    # slack each; the exact test below decides.
    slack = dt.timedelta(hours=2)
    windows = Q()
    for offset in offsets:
        windows |= Q(
            starts_at__gte=now + dt.timedelta(minutes=offset / 2) - slack,
            starts_at__lte=now + dt.timedelta(minutes=offset) + slack,
        )
    sessions = list(
        Session.objects.for_workspace(workspace)
        .filter(windows, status=SessionStatus.SCHEDULED, starts_at__gt=now)
        .select_related("client")
        .only("id", "starts_at", "client_id", "client__id", "client__email", "client__phone")
    )
    prefs = {
        p.client_id: p
        for p in ClientReminderPrefs.objects.for_workspace(workspace).filter(
            client_id__in={s.client_id for s in sessions}
        )
    }
    rows = []
    for session in sessions:
        channels = channels_for(session.client, prefs.get(session.client_id), rs, workspace)
        for offset in offsets:
            due = due_at(session.starts_at, offset, tz)
            if due > now or now - due > dt.timedelta(minutes=offset / 2):
                continue
            for channel in channels:
                send_at = due if channel == Channel.EMAIL else after_quiet_hours(due, rs, tz)
                skipped = send_at >= session.starts_at
                rows.append(
                    Notification(
                        workspace=workspace,
                        session=session,
                        channel=channel,
                        kind=Kind.REMINDER,
                        offset_minutes=offset,
                        planned_start=session.starts_at,
                        due_at=due,
                        next_attempt_at=send_at,
                        status=NotificationStatus.SKIPPED if skipped else NotificationStatus.PENDING,
                        error_code="quiet_hours" if skipped else "",
                    )
                )
    if not rows:
        return 0
    before = Notification.objects.for_workspace(workspace).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.for_workspace(workspace).count() - before


def _claimable(now: dt.datetime) -> Q:
    return Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING, claimed_at__lt=now - LEASE
    )


def claim(pk: int, now: dt.datetime) -> str | None:
    """Take the row for this worker: one conditional UPDATE, so one worker alone wins it."""
    token = secrets.token_hex(16)
    won = (
        Notification.objects.filter(pk=pk)
        .filter(_claimable(now))
        .update(status=NotificationStatus.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    return token if won else None


def send_due(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Claim and send what is due (this worker's share). -> messages sent."""
    now = now or timezone.now()
    # The system worker, across workspaces; each row is then handled in its own workspace.
    due = list(
        Notification.objects.filter(_claimable(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in due:
        token = claim(pk, now)
        if token is not None and deliver(pk, token, now):
            sent += 1
    return sent


@dataclass
class Composed:
    message: Message
    channel: str


def compose(
    session: Session,
    channel: str,
    rs: ReminderSettings,
    prefs: ClientReminderPrefs | None,
    kind: str = Kind.REMINDER,
) -> Message | None:
    """The message of a reminder (or confirmation) of `session` by `channel`, or None when the
    client has no address.

    It carries the client's first name, the date and time, the practitioner, the practice and its
    address, the link and the session's video-call link: nothing else of the session or the client.
    A confirmation is an e-mail with the session's invite (.ics) attached.
    """
    workspace = session.workspace
    to = address_of(session.client, channel, workspace)
    if to is None:
        return None
    language = texts.language_of((prefs.language if prefs else "") or workspace.language)
    token = make_token(workspace_id=workspace.pk, session_id=session.pk, starts_at=session.starts_at)
    values = texts.values_for(
        first_name=(session.client.name.split() or [""])[0],
        starts_local=session.starts_at.astimezone(workspace.tz),
        practitioner=session.practitioner.user.display_name,
        practice=workspace.name,
        address=workspace.address.strip(),
        link=link_url(token),
        language=language,
        video_link=session.video_url,
    )
    if kind == Kind.CONFIRMATION:
        parts = texts.CONFIRMATION[language]
        with translation.override(language):
            invite = invite_ics(session, link=values["link"])
        return Message(
            to=to,
            subject=texts.fill(parts["subject"], values),
            body=texts.fill(parts["body"], values),
            language=language,
            attachments=[(INVITE_NAME[language], invite, "text/calendar; method=PUBLISH; charset=utf-8")],
        )
    return _message(rs, channel, to=to, language=language, values=values)


INVITE_NAME = {"pt-BR": "sessao.ics", "en": "session.ics"}


def invite_ics(session: Session, *, link: str) -> bytes:
    """The client's invite: one event (the feeds' UID and SEQUENCE, so a calendar updates it), named
    after the practitioner and the practice, its URL the client's link page."""
    workspace = session.workspace
    cal = new_calendar(
        prodid="-//Atendo//Session invite//EN",
        name=workspace.name,
        timezone_name=workspace.timezone,
        method="PUBLISH",
    )
    summary = f"{session.practitioner.user.display_name} · {workspace.name}"
    cal.add_component(session_event(session, summary=summary, url=link))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def plan_confirmation(session: Session, now: dt.datetime | None = None) -> None:
    """The confirmation e-mail of a session its client just confirmed: one row (a second confirm of
    the same start makes none), sent by the worker like a reminder (so exactly once, retried, logged)."""
    if not session.client.email:
        return
    now = now or timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                workspace=session.workspace,
                session=session,
                channel=Channel.EMAIL,
                kind=Kind.CONFIRMATION,
                offset_minutes=0,
                planned_start=session.starts_at,
                due_at=now,
                next_attempt_at=now,
            )
        ],
        ignore_conflicts=True,
    )


def _message(
    rs: ReminderSettings, channel: str, *, to: str, language: str, values: dict[str, str]
) -> Message:
    """The message by `channel` of the workspace's texts: an SMS carries the short text as its body."""
    if channel == Channel.SMS:
        body = texts.fill(texts.text_of(rs.templates, language, "sms"), values)[: texts.MAX_SMS_SENT]
    else:
        body = texts.fill(texts.text_of(rs.templates, language, "body"), values)
    return Message(
        to=to,
        subject=texts.fill(texts.text_of(rs.templates, language, "subject"), values),
        body=body,
        language=language,
        template=rs.whatsapp_template,
        params=[values[name] for name in texts.WHATSAPP_PARAMS],
    )


def _finish(pk: int, token: str, **values: object) -> None:
    Notification.objects.filter(pk=pk, claim=token).update(**values)


def deliver(pk: int, token: str, now: dt.datetime) -> bool:
    """Send one claimed row. -> whether it was sent."""
    row = Notification.objects.select_related(
        "workspace", "session__client", "session__practitioner__user", "session__workspace"
    ).get(pk=pk)
    session = row.session
    if (
        session.status != SessionStatus.SCHEDULED
        or session.starts_at != row.planned_start
        or session.starts_at <= now
    ):
        _finish(pk, token, status=NotificationStatus.CANCELLED, status_at=now)
        return False
    rs = settings_of(row.workspace)
    prefs = (
        ClientReminderPrefs.objects.for_workspace(row.workspace).filter(client_id=session.client_id).first()
    )
    message = compose(session, row.channel, rs, prefs, kind=row.kind)
    if (prefs and prefs.opted_out(row.channel)) or message is None or not rs.enabled:
        _finish(
            pk,
            token,
            status=NotificationStatus.SKIPPED,
            status_at=now,
            error_code="opted_out" if message else "no_address",
        )
        return False
    try:
        provider_id = backend(row.channel).send(message)
    except SendFailed as failure:
        final = not failure.transient or row.attempts >= MAX_ATTEMPTS
        wait = BACKOFF_MINUTES[min(row.attempts, len(BACKOFF_MINUTES)) - 1]
        _finish(
            pk,
            token,
            status=NotificationStatus.FAILED if final else NotificationStatus.PENDING,
            next_attempt_at=now + dt.timedelta(minutes=wait),
            error_code=failure.code[:50],
            error_message=failure.message,
            status_at=now,
        )
        if final:
            _audit(row, NotificationStatus.FAILED)
        log.warning("reminder %s by %s failed: %s", pk, row.channel, failure.code)
        return False
    with transaction.atomic():
        _finish(
            pk,
            token,
            status=NotificationStatus.SENT,
            sent_at=now,
            status_at=now,
            provider_message_id=provider_id[:200],
            error_code="",
            error_message="",
        )
        _audit(row, NotificationStatus.SENT)
    return True


def _audit(row: Notification, status: str) -> None:
    audit_record(
        workspace=row.workspace,
        actor=None,
        actor_label="reminders",
        action=f"notification.{status}",
        object_type="notification",
        object_id=str(row.pk),
        object_label=f"{row.get_kind_display()} #{row.pk}",
        changes={"channel": row.channel, "kind": row.kind, "session_id": row.session_id, "status": status},
    )


def whatsapp_status(provider_id: str, status: str, error: str = "") -> int:
    """A delivery status from the WhatsApp webhook. -> rows changed."""
    mapping = {
        "delivered": NotificationStatus.DELIVERED,
        "read": NotificationStatus.READ,
        "failed": NotificationStatus.FAILED,
        "sent": NotificationStatus.SENT,
    }
    if status not in mapping or not provider_id:
        return 0
    values: dict[str, object] = {"status": mapping[status], "status_at": timezone.now()}
    if status == "failed":
        values["error_code"] = "whatsapp_delivery"
        values["error_message"] = error[:300]
    # Never back: a read message is not made "delivered" by a late webhook.
    order = [NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.READ]
    qs = Notification.objects.filter(provider_message_id=provider_id, channel=Channel.WHATSAPP)
    if mapping[status] in order:
        qs = qs.filter(status__in=order[: order.index(mapping[status])])
    else:
        qs = qs.filter(status__in=order)
    return qs.update(**values)


def test_message(rs: ReminderSettings, *, to: str, channel: str, language: str, practitioner: str) -> Message:
    """A sample reminder with made-up values, for "send a test" and the preview."""
    workspace = rs.workspace
    starts = (
        (timezone.now() + dt.timedelta(days=1))
        .astimezone(workspace.tz)
        .replace(minute=0, second=0, microsecond=0)
    )
    values = texts.values_for(
        first_name="Ana",
        starts_local=starts,
        practitioner=practitioner,
        practice=workspace.name,
        address=workspace.address.strip(),
        link=django_settings.ATENDO_PUBLIC_URL.rstrip("/") + "/r/example/",
        language=language,
        video_link="https://video.example.com/ana",
    )
    return _message(rs, channel, to=to, language=language, values=values)
