"""Writes of the portal: sending and asking for a magic link, opening it (a portal session),
logging out, and a client's own cancellations and moves (docs/portal.md).

A link opens a `PortalSession` of one client in one workspace. Nothing here is a Django log-in: a
portal session is known only to the portal's pages, by its own cookie (`links.COOKIE`).

Every write is audited: `portal.link_send` (a member sent it, or the client asked on the public
page: actor "client (portal)"), `portal.link_use`, and the scheduling services' own events for a
cancellation or a move made by the client (`session.cancel`, `session.update`) besides
`portal.cancel` / `portal.move`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.clients.selectors import client_get_for
from atendo.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from atendo.core.times import parse_datetime
from atendo.portal import links, selectors, throttle
from atendo.portal.models import PortalLink, PortalSession
from atendo.portal.selectors import Visit
from atendo.reminders.channels import Message, SendFailed, backend
from atendo.reminders.models import ClientReminderPrefs, ReminderSettings
from atendo.reminders.sending import address_of
from atendo.reminders.texts import language_of
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_update
from atendo.scheduling.services.status import session_cancel
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

log = logging.getLogger(__name__)

ACTOR = "client (portal)"
CHANNELS = ("email", "whatsapp", "sms")


# --- channels and messages -------------------------------------------------------------------------


def _configured(channel: str) -> bool:
    if channel == "whatsapp":
        return bool(settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID)
    if channel == "sms":
        return bool(settings.SMS_WEBHOOK_URL)
    return True


def channels_for(workspace: Workspace, client: Client) -> list[str]:
    """The channels a link can go by to this client: e-mail when they have an address; WhatsApp and
    SMS when the server has them configured, the workspace sends reminders by them, and the client's
    phone is a valid number."""
    rs = ReminderSettings.objects.for_workspace(workspace).first()
    reminder_channels = list(rs.channels) if rs is not None else []
    found = []
    for channel in CHANNELS:
        if channel != "email" and (channel not in reminder_channels or not _configured(channel)):
            continue
        if address_of(client, channel, workspace):
            found.append(channel)
    return found


def client_language(workspace: Workspace, client_id: int) -> str:
    """The client's language ("pt-BR" or "en"): their reminder preference, else the practice's."""
    prefs = ClientReminderPrefs.objects.for_workspace(workspace).filter(client_id=client_id).first()
    return language_of((prefs.language if prefs else "") or workspace.language)


def _message(workspace: Workspace, client: Client, channel: str, url: str) -> Message:
    language = client_language(workspace, client.pk)
    minutes = int(links.link_lifetime().total_seconds() // 60)
    first_name = (client.name or "").split(" ")[0]
    values = {"name": first_name, "practice": workspace.name, "link": url, "minutes": minutes}
    with translation.override(language):
        subject = _("Your portal at %(practice)s") % values
        if channel == "sms":
            body = (
                _("%(practice)s: your portal (the link works once, for %(minutes)d minutes): %(link)s")
                % values
            )
        else:
            body = (
                _(
                    "Hello %(name)s,\n\nOpen your portal at %(practice)s to see your sessions, cancel or "
                    "move one, download receipts and see what is owed:\n\n%(link)s\n\nThe link works "
                    "once, for %(minutes)d minutes. If you did not ask for it, ignore this message."
                )
                % values
            )
    return Message(
        to=address_of(client, channel, workspace) or "",
        subject=subject,
        body=body,
        language=language,
        template=getattr(settings, "PORTAL_WHATSAPP_TEMPLATE", "atendo_portal_link"),
        params=[first_name, workspace.name, url],
    )


class SendError(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            message=_("The link could not be sent: %(error)s") % {"error": detail},
            code="send_failed",
            status=502,
        )


def _issue(workspace: Workspace, client: Client, channel: str, sent_by: Membership | None) -> PortalLink:
    """Make a link and send it (inside the caller's transaction: a failed send keeps no link)."""
    raw = links.new_secret()
    link = PortalLink.objects.create(
        workspace=workspace,
        client=client,
        token_hash=links.digest(raw),
        channel=channel,
        sent_by=sent_by,
        expires_at=timezone.now() + links.link_lifetime(),
    )
    try:
        backend(channel).send(_message(workspace, client, channel, links.link_url(raw)))
    except SendFailed as exc:
        raise SendError(exc.message) from exc
    audit_record(
        workspace=workspace,
        actor=sent_by,
        actor_label="" if sent_by else ACTOR,
        action="portal.link_send",
        obj=client,
        changes={"channel": channel},
    )
    return link


@transaction.atomic
def portal_link_send(*, member: Membership, client_id: int, channel: Any) -> PortalLink:
    """A member sends the client a link to their portal (`client.update`: it is administrative, so
    assistants may). 422 at `channel` when the client cannot be reached by it."""
    require(member, "client.read", "client.update")
    client = client_get_for(member, client_id)
    if client.archived:
        raise ValidationFailed.single("client_id", _("This client is archived."))
    if channel not in CHANNELS:
        raise ValidationFailed.single("channel", _('Choose "email", "whatsapp" or "sms".'))
    if channel not in channels_for(member.workspace, client):
        raise ValidationFailed.single("channel", _("This client cannot be reached by this channel."))
    return _issue(member.workspace, client, channel, member)


def portal_link_request(*, workspace_slug: Any, email: Any, ip: str) -> None:
    """The public page's request: e-mail a link to the client with this address, if there is one.

    The answer (None) is the same whether the address is known or not, and so is the work: one
    lookup and one task queued for every valid address (`tasks.send_asked_link`, with the client's
    id or none); the worker sends, so the time of the answer does not tell either. The limits (per
    client address and per e-mail address) count every request alike. 404 for an unknown workspace
    only.
    """
    from atendo.portal.tasks import send_asked_link  # the tasks module imports this one

    workspace = (
        Workspace.objects.filter(slug=workspace_slug).first() if isinstance(workspace_slug, str) else None
    )
    if workspace is None:
        raise NotFound(_("No such practice."))
    address = email.strip() if isinstance(email, str) else ""
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationFailed.single("email", _("Enter a valid e-mail address.")) from None
    throttle.hit("ask_ip", ip)
    throttle.hit("ask_email", address)
    client_id = (
        Client.objects.for_workspace(workspace)
        .filter(email__iexact=address, archived=False)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    send_asked_link.enqueue(workspace.pk, client_id)


def asked_link_send(workspace_id: int, client_id: int | None) -> str:
    """The worker's half of `portal_link_request`: issue and e-mail the link, unless the client is
    gone or archived since. -> "sent", "nobody" or "failed" (a failed send is logged, said to nobody:
    the page already answered the same for every address)."""
    client = (
        Client.objects.for_workspace(workspace_id)
        .filter(pk=client_id, archived=False)
        .select_related("workspace")
        .first()
        if client_id is not None
        else None
    )
    if client is None:
        return "nobody"
    workspace = client.workspace
    try:
        with transaction.atomic():
            _issue(workspace, client, "email", None)
    except SendError:
        log.warning("portal link to client %s of workspace %s could not be sent", client.pk, workspace.pk)
        return "failed"
    return "sent"


# --- opening a link, the session, logging out --------------------------------------------------------


@dataclass
class LinkState:
    """What the link's page shows: open, used, expired or invalid (and the practice, when known)."""

    state: str
    link: PortalLink | None = None


def link_state(raw: str, now: dt.datetime | None = None) -> LinkState:
    now = now or timezone.now()
    link = (
        PortalLink.objects.select_related("workspace", "client").filter(token_hash=links.digest(raw)).first()
        if raw
        else None
    )
    if link is None or link.client.archived:
        return LinkState("invalid")
    if link.used_at is not None:
        return LinkState("used", link)
    if link.expires_at <= now:
        return LinkState("expired", link)
    return LinkState("open", link)


@dataclass
class Opened:
    state: LinkState
    session: PortalSession | None = None
    key: str = ""  # the cookie's value (only its hash is stored)


@transaction.atomic
def link_open(raw: str) -> Opened:
    """Spend the link (once, before it expires) and open a portal session for its client."""
    now = timezone.now()
    state = link_state(raw, now)
    if state.state != "open" or state.link is None:
        return Opened(state)
    # Single use under concurrency: only one request turns used_at from null.
    spent = PortalLink.objects.filter(pk=state.link.pk, used_at__isnull=True).update(used_at=now)
    if not spent:
        return Opened(LinkState("used", state.link))
    link = state.link
    key = links.new_secret()
    session = PortalSession.objects.create(
        workspace=link.workspace,
        client=link.client,
        key_hash=links.digest(key),
        link=link,
        expires_at=now + links.session_idle(),
        absolute_expires_at=now + links.session_lifetime(),
        last_seen_at=now,
    )
    audit_record(
        workspace=link.workspace,
        actor=None,
        actor_label=ACTOR,
        action="portal.link_use",
        obj=link.client,
        changes={"channel": link.channel},
    )
    return Opened(LinkState("used", link), session, key)


# Activity is written at most once a minute.
SEEN_RESOLUTION = dt.timedelta(minutes=1)


def session_for(key: str | None, now: dt.datetime | None = None) -> PortalSession | None:
    """The live portal session a cookie names (its idle expiry slides), else None."""
    if not key:
        return None
    now = now or timezone.now()
    session = (
        PortalSession.objects.select_related("workspace", "client")
        .filter(key_hash=links.digest(key), ended_at__isnull=True)
        .first()
    )
    if session is None or session.client.archived:
        return None
    if session.expires_at <= now or session.absolute_expires_at <= now:
        return None
    if now - session.last_seen_at >= SEEN_RESOLUTION:
        expires = min(now + links.session_idle(), session.absolute_expires_at)
        PortalSession.objects.filter(pk=session.pk).update(last_seen_at=now, expires_at=expires)
        session.last_seen_at, session.expires_at = now, expires
    return session


def session_end(session: PortalSession) -> None:
    PortalSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=timezone.now())


# --- the client's own sessions: cancel, move ---------------------------------------------------------


def portal_cancel(*, portal: PortalSession, session_id: int) -> Visit:
    """The client cancels one of their sessions still to come: the scheduling service's own door
    for a client (`session_cancel` without a member, "by the client"), so a cancellation inside the
    workspace's window is recorded late and charged the late fee exactly as the staff path does."""
    visit = selectors.visit_get(portal, session_id)
    if not visit.can_cancel:
        raise Conflict(
            _("This session can no longer be cancelled here; please contact the practice."),
            code="not_cancellable",
        )
    with transaction.atomic():
        result = session_cancel(
            workspace=portal.workspace, member=None, session_id=visit.id, by="client", actor_label=ACTOR
        )
        audit_record(
            workspace=portal.workspace,
            actor=None,
            actor_label=ACTOR,
            action="portal.cancel",
            obj=portal.client,
            changes={"session_id": visit.id, "late": bool(result.session.cancellation_late)},
        )
    return selectors.visit_get(portal, session_id)


def portal_move(*, portal: PortalSession, session_id: int, starts_at: Any, version: Any) -> Visit:
    """The client moves a session to one of the free starts `selectors.move_slots` offers.

    Only a session still outside the cancellation window moves (409 `not_movable`); `version` is
    the one the page showed (409 `version_conflict` when the practice changed it meanwhile); a start
    no longer free is 409 `slot_taken`. The move is `session_update` acting for the session's
    practitioner (its rules: overlaps, the confirmation cleared, its `session.update` audit), under
    a lock of the practitioner's membership row, so two moves or bookings cannot take one slot.
    """
    tz = portal.workspace.tz
    start = parse_datetime(starts_at, tz, path="starts_at")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationFailed.single("version", _("Send the version you saw."))
    with transaction.atomic():
        visit = selectors.visit_get(portal, session_id)
        if not visit.can_move:
            raise Conflict(
                _("This session can no longer be moved here; please contact the practice."),
                code="not_movable",
            )
        session = (
            Session.objects.for_workspace(portal.workspace).only("id", "practitioner_id").get(pk=visit.id)
        )
        practitioner = (
            Membership.objects.for_workspace(portal.workspace)
            .select_for_update(of=("self",))
            .select_related("user", "role", "workspace")
            .get(pk=session.practitioner_id)
        )
        if visit.version != version:
            raise Conflict(_("This session was changed meanwhile; see it again."), code="version_conflict")
        if start not in selectors.move_slots(portal, visit):
            raise Conflict(_("This time is no longer free; choose another."), code="slot_taken")
        before = visit.starts_at
        session_update(
            member=practitioner, session_id=visit.id, version=version, changes={"starts_at": start}
        )
        audit_record(
            workspace=portal.workspace,
            actor=None,
            actor_label=ACTOR,
            action="portal.move",
            obj=portal.client,
            changes={
                "session_id": visit.id,
                "starts_at": [before.isoformat(), start.astimezone(tz).isoformat()],
            },
        )
    return selectors.visit_get(portal, session_id)


def request_answer(minutes: int) -> str:
    """What the public page and API answer to every request for a link."""
    return _(
        "If this address is one the practice has for you, a link to your portal is on its way. "
        "It works once, for %(minutes)d minutes."
    ) % {"minutes": minutes}


KEEP_SPENT = dt.timedelta(days=1)


def purge_spent(now: dt.datetime | None = None) -> int:
    """Delete links and sessions that stopped working more than `KEEP_SPENT` ago. -> rows deleted.
    (The audit trail keeps that a link was sent and used.)"""
    cutoff = (now or timezone.now()) - KEEP_SPENT
    sessions, _kinds = PortalSession.objects.filter(
        Q(ended_at__lt=cutoff) | Q(expires_at__lt=cutoff) | Q(absolute_expires_at__lt=cutoff)
    ).delete()
    links_deleted, _kinds = PortalLink.objects.filter(expires_at__lt=cutoff).delete()
    return sessions + links_deleted
