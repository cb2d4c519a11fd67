"""Writes of intake forms: consent documents, sending a form request, revoking it, and the
client's submission (values through the clients and scheduling services, a consent signed as PDF).

Who acts when the client submits. The client is nobody in the workspace, and the values must go
through the same services as a member's (validation, encryption at rest, audit, sign rules). So a
request names, when it is sent, the member on whose authority its values are saved
(`FormRequest.practitioner`): the session's practitioner for a pre-session form; otherwise the
first assigned practitioner of the client able to write what the form covers, else the sender.
Able means the permissions of the write, and, when the form covers a clinical field, write access
to that client's clinical content (`clinical.access.may_write`). The sender needs the right to
change the record (`client.update`, or `session.update` for a pre-session form), never clinical
access: the values flow from the client, and who may read them afterwards is the barrier's job.
Nothing here shows a submitted value back to anyone.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clients.models import Client
from atendo.clients.selectors import client_get_for
from atendo.clients.serializers import open_keys
from atendo.clients.services import client_update
from atendo.clinical import crypto
from atendo.clinical.access import may_write
from atendo.clinical.models import ClientPractitioner
from atendo.core.clean import id_or_none
from atendo.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from atendo.fields import engine
from atendo.fields.models import FieldDefinition
from atendo.files.services import attachment_create
from atendo.intake import links
from atendo.intake.models import ConsentDocument, FormKind, FormRequest
from atendo.intake.pdf import SignedConsent, consent_pdf
from atendo.reminders import channels
from atendo.reminders.phones import region_of, to_e164
from atendo.scheduling import sealing
from atendo.scheduling.models import Session
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.services.phases import session_save_phase
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

logger = logging.getLogger("atendo.intake")

DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 90
MAX_TITLE = 200
MAX_TEXT = 50_000
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIGNATURE_SIDE = 4000
SIGNATURE_PREFIX = "data:image/png;base64,"
CLIENT_LABEL = "client (form link)"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


# --- consent documents ----------------------------------------------------------------------------


def _clean_document(title: Any, text: Any) -> tuple[str, str]:
    errors: list[FieldError] = []
    title = title.strip() if isinstance(title, str) else ""
    text = text.strip() if isinstance(text, str) else ""
    if not title:
        errors.append(FieldError("title", _("A title is required.")))
    elif len(title) > MAX_TITLE:
        errors.append(FieldError("title", _("At most %(n)d characters.") % {"n": MAX_TITLE}))
    if not text:
        errors.append(FieldError("text", _("The text of the consent is required.")))
    elif len(text) > MAX_TEXT:
        errors.append(FieldError("text", _("At most %(n)d characters.") % {"n": MAX_TEXT}))
    if any("\x00" in v for v in (title, text)):
        errors.append(FieldError("text", _("The text cannot contain NUL characters.")))
    if errors:
        raise ValidationFailed(errors)
    return title, text


@transaction.atomic
def consent_document_create(*, member: Membership, title: Any, text: Any) -> ConsentDocument:
    require(member, "workspace.manage")
    title, text = _clean_document(title, text)
    document = ConsentDocument.objects.create(
        workspace=member.workspace, title=title, text=text, version=1, created_by=member
    )
    audit_record(
        workspace=member.workspace, actor=member, action="intake.consent_create", obj=document, changes={}
    )
    return document


def document_used(document: ConsentDocument) -> bool:
    return FormRequest.objects.for_workspace(document.workspace_id).filter(consent_document=document).exists()


@transaction.atomic
def consent_document_update(
    *, member: Membership, document_id: int, changes: Mapping[str, Any]
) -> ConsentDocument:
    """Change the title or text (and `archived`). A version already sent never changes: a change of
    its title or text makes the next version, which later requests use."""
    require(member, "workspace.manage")
    document = (
        ConsentDocument.objects.for_workspace(member.workspace)
        .select_for_update()
        .filter(pk=document_id, superseded=False)
        .first()
    )
    if document is None:
        raise NotFound()
    unknown = set(changes) - {"title", "text", "archived"}
    if unknown:
        raise ValidationFailed(
            [FieldError(k, _("'{k}' cannot be changed here.").format(k=k)) for k in sorted(unknown)]
        )
    title, text = _clean_document(changes.get("title", document.title), changes.get("text", document.text))
    archived = changes.get("archived", document.archived)
    if not isinstance(archived, bool):
        raise ValidationFailed.single("archived", _("archived must be true or false."))
    wording_changed = (title, text) != (document.title, document.text)
    if wording_changed and document_used(document):
        ConsentDocument.objects.filter(pk=document.pk).update(superseded=True)
        document = ConsentDocument.objects.create(
            workspace=member.workspace,
            title=title,
            text=text,
            version=document.version + 1,
            previous=document,
            archived=archived,
            created_by=member,
        )
        action = "intake.consent_new_version"
    else:
        document.title, document.text, document.archived = title, text, archived
        document.save()
        action = "intake.consent_update"
    audit_record(
        workspace=member.workspace,
        actor=member,
        action=action,
        obj=document,
        changes={"version": document.version, "archived": document.archived},
    )
    return document


# --- sending --------------------------------------------------------------------------------------


def covered_definitions(form_request: FormRequest) -> list[FieldDefinition]:
    """The live definitions the request covers, in form order."""
    if form_request.kind == FormKind.CONSENT:
        return []
    scope, phase = ("client", None) if form_request.kind == FormKind.CLIENT_FIELDS else ("session", "pre")
    keys = set(form_request.field_keys or [])
    return [
        d
        for d in engine.definitions_for(workspace=form_request.workspace_id, scope=scope, phase=phase)
        if d.key in keys
    ]


def _able(candidate: Membership, kind: str, client_id: int, clinical: bool) -> bool:
    if not candidate.is_active:
        return False
    codes = (
        ("session.read", "session.update")
        if kind == FormKind.PRE_SESSION
        else ("client.read", "client.update")
    )
    if not all(candidate.has_perm(c) for c in codes):
        return False
    return not clinical or may_write(candidate, client_id)


def _choose_practitioner(
    member: Membership, kind: str, client: Client, session: Session | None, clinical: bool
) -> Membership:
    if session is not None:
        candidates = [session.practitioner]
    else:
        assigned = (
            ClientPractitioner.objects.filter(workspace_id=member.workspace_id, client_id=client.pk)
            .select_related("member__user", "member__role")
            .order_by("member_id")
        )
        candidates = [a.member for a in assigned] + [member]
    for candidate in candidates:
        if _able(candidate, kind, client.pk, clinical):
            return candidate
    path = "session_id" if session is not None else "client_id"
    raise ValidationFailed.single(
        path,
        _(
            "This form has clinical fields, and no practitioner of this client may receive them; "
            "assign a practitioner to the client first."
        )
        if session is None
        else _(
            "This form has clinical fields, and the session's practitioner may not receive them for "
            "this client."
        ),
    )


def _clean_keys(raw: Any, definitions: list[FieldDefinition]) -> list[str]:
    live = [d.key for d in definitions]
    if raw is None:
        return live
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise ValidationFailed.single("field_keys", _("field_keys must be a list of field keys."))
    unknown = [k for k in raw if k not in live]
    if unknown:
        raise ValidationFailed.single(
            "field_keys", _("There is no field '%(key)s' in this form.") % {"key": unknown[0][:60]}
        )
    return [k for k in live if k in raw]


def _clean_expiry(raw: Any) -> int:
    if raw is None:
        return DEFAULT_EXPIRY_DAYS
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_EXPIRY_DAYS:
        raise ValidationFailed.single(
            "expires_in_days", _("Choose between 1 and %(n)d days.") % {"n": MAX_EXPIRY_DAYS}
        )
    return raw


@dataclass
class Sent:
    form_request: FormRequest
    url: str
    emailed: bool
    texted: bool = False


def sms_number(client: Client) -> str | None:
    return to_e164(client.phone, region_of(client.workspace.currency))


def _enqueue(form_request_id: int, channel: str) -> None:
    from atendo.intake.tasks import send_form_link

    send_form_link.enqueue(form_request_id, channel)


@transaction.atomic
def form_request_create(
    *,
    member: Membership,
    kind: Any,
    client_id: Any,
    session_id: Any = None,
    consent_document_id: Any = None,
    field_keys: Any = None,
    expires_in_days: Any = None,
    language: Any = None,
    send_email: bool = True,
    send_sms: bool = False,
) -> Sent:
    """Send a client a form by link: e-mailed to the client's address when they have one (and
    `send_email`), by SMS when asked (`send_sms`: the gateway configured and a valid phone), by the
    worker after the commit. The answer carries the link for the sender to give otherwise."""
    require(member, "client.read")
    if kind not in FormKind.values:
        raise ValidationFailed.single("kind", _("kind must be client_fields, pre_session or consent."))
    cid = id_or_none(client_id)
    if cid is None:
        raise ValidationFailed.single("client_id", _("Choose a client."))
    client = client_get_for(member, cid)
    session = None
    document = None
    errors: list[FieldError] = []
    if kind == FormKind.PRE_SESSION:
        require(member, "session.read", "session.update")
        sid = id_or_none(session_id)
        if sid is None:
            raise ValidationFailed.single("session_id", _("Choose the session this form is for."))
        session = session_get_for(member, sid)
        if session.client_id != client.pk:
            raise ValidationFailed.single("session_id", _("This session is not the client's."))
        if session.signed_at is not None:
            raise ValidationFailed.single(
                "session_id", _("This session's record is signed; it cannot change.")
            )
        definitions = engine.definitions_for(workspace=member.workspace, scope="session", phase="pre")
    else:
        require(member, "client.update")
        definitions = (
            engine.definitions_for(workspace=member.workspace, scope="client")
            if kind == FormKind.CLIENT_FIELDS
            else []
        )
    if kind == FormKind.CONSENT:
        did = id_or_none(consent_document_id)
        document = (
            ConsentDocument.objects.for_workspace(member.workspace)
            .filter(pk=did, superseded=False, archived=False)
            .first()
            if did is not None
            else None
        )
        if document is None:
            errors.append(
                FieldError("consent_document_id", _("Choose a consent document of this workspace."))
            )
        keys: list[str] = []
    else:
        try:
            keys = _clean_keys(field_keys, definitions)
        except ValidationFailed as exc:
            errors += exc.fields
            keys = []
        if not errors and not keys:
            errors.append(FieldError("field_keys", _("There are no fields for this form yet.")))
    try:
        days = _clean_expiry(expires_in_days)
    except ValidationFailed as exc:
        errors += exc.fields
        days = DEFAULT_EXPIRY_DAYS
    lang = language if language is not None else member.workspace.language
    if lang not in LANGUAGE_CODES:
        errors.append(FieldError("language", _("language must be en or pt-br.")))
    if send_sms:
        if not settings.SMS_WEBHOOK_URL:
            errors.append(FieldError("send_sms", _("SMS is not configured for this installation.")))
        elif sms_number(client) is None:
            errors.append(FieldError("send_sms", _("This client has no valid phone number.")))
    if errors:
        raise ValidationFailed(errors)
    clinical = any(d.clinical for d in definitions if d.key in keys)
    practitioner = _choose_practitioner(member, kind, client, session, clinical)
    now = timezone.now()
    form_request = FormRequest.objects.create(
        workspace=member.workspace,
        kind=kind,
        client=client,
        session=session,
        consent_document=document,
        field_keys=keys,
        language=lang,
        sent_by=member,
        practitioner=practitioner,
        sent_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    token = links.make_token(workspace_id=member.workspace_id, request_id=form_request.pk)
    form_request.token_hash = links.token_hash(token)
    FormRequest.objects.filter(pk=form_request.pk).update(token_hash=form_request.token_hash)
    url = links.form_url(token)
    emailed = bool(send_email and client.email)
    channels = [c for c, wanted in (("email", emailed), ("sms", send_sms)) if wanted]
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="intake.send",
        obj=form_request,
        client_id=client.pk,
        changes={"kind": kind, "keys": keys, "channels": channels},
    )
    for channel in channels:
        transaction.on_commit(functools.partial(_enqueue, form_request.pk, channel))
    return Sent(form_request, url, emailed, "sms" in channels)


@transaction.atomic
def form_request_revoke(*, member: Membership, request_id: int) -> FormRequest:
    """Close an open request: its link says it was withdrawn."""
    require(member, "client.read")
    form_request = (
        FormRequest.objects.for_workspace(member.workspace).select_for_update().filter(pk=request_id).first()
    )
    if form_request is None:
        raise NotFound()
    require(member, "client.update")
    if form_request.submitted_at is not None:
        raise ValidationFailed.single(
            "status", _("This form was already submitted."), code="already_submitted"
        )
    if form_request.revoked_at is None:
        form_request.revoked_at = timezone.now()
        form_request.locked = True
        form_request.save(update_fields=["revoked_at", "locked", "updated_at"])
        audit_record(workspace=member.workspace, actor=member, action="intake.revoke", obj=form_request)
    return form_request


# --- the client's submission --------------------------------------------------------------------


class FormClosed(DomainError):
    """The link opens nothing to fill: unknown, already submitted, withdrawn or expired."""

    def __init__(self, state: str) -> None:
        messages = {
            "missing": _("This link does not open any form."),
            "submitted": _("This form was already submitted. Thank you!"),
            "revoked": _("The practice withdrew this form."),
            "expired": _("This link has expired. Ask the practice for a new one."),
            "unavailable": _("This form cannot be submitted now. Please contact the practice."),
        }
        super().__init__(
            message=messages[state], code=f"form_{state}", status=404 if state == "missing" else 410
        )
        self.state = state


def open_request(token: str, *, lock: bool = False) -> FormRequest:
    """The request a link opens, if it can still be filled; FormClosed otherwise."""
    from atendo.intake.selectors import request_by_token

    form_request = request_by_token(token)
    if form_request is not None and lock:
        form_request = (
            FormRequest.objects.select_for_update(of=("self",))
            .select_related("workspace", "client", "session", "consent_document")
            .filter(pk=form_request.pk)
            .first()
        )
    if form_request is None:
        raise FormClosed("missing")
    if form_request.status != "open":
        raise FormClosed(form_request.status)
    return form_request


def acting_member(form_request: FormRequest) -> Membership:
    """The member the values are saved for (see the module docstring), still able to."""
    practitioner = (
        Membership.objects.for_workspace(form_request.workspace_id)
        .select_related("user", "role", "workspace")
        .filter(pk=form_request.practitioner_id or 0)
        .first()
    )
    clinical = any(d.clinical for d in covered_definitions(form_request))
    if practitioner is None or not _able(practitioner, form_request.kind, form_request.client_id, clinical):
        raise FormClosed("unavailable")
    return practitioner


def _close(form_request: FormRequest, *, ip: str | None, user_agent: str, keys: list[str]) -> None:
    form_request.submitted_at = timezone.now()
    form_request.locked = True
    form_request.submission_ip = ip
    form_request.submission_user_agent = (user_agent or "")[:300]
    form_request.save()
    audit_record(
        workspace=form_request.workspace,
        actor=None,
        actor_label=CLIENT_LABEL,
        action="intake.submit",
        obj=form_request,
        client_id=form_request.client_id,
        changes={"kind": form_request.kind, "keys": keys},
    )
    transaction.on_commit(lambda: _mail_submitted(form_request))


@transaction.atomic
def form_submit(
    *, token: str, values: Mapping[str, Any], ip: str | None, user_agent: str = ""
) -> FormRequest:
    """The client's values of a client-fields or pre-session form, saved through the clients or
    scheduling service as the request's practitioner. ValidationFailed names the paths
    (`fields.<key>` / `fields.pre.<key>`), as the staff forms and the API do. Blank answers leave
    what is stored as it is (the form never shows stored values)."""
    form_request = open_request(token, lock=True)
    if form_request.kind == FormKind.CONSENT:
        raise FormClosed("missing")
    member = acting_member(form_request)
    definitions = covered_definitions(form_request)
    answered = {
        k: v for k, v in values.items() if k in {d.key for d in definitions} and v not in (None, [], "")
    }
    if form_request.kind == FormKind.CLIENT_FIELDS:
        # The whole set saved, as the staff form saves it (required fields enforced, at the same
        # paths): what is stored, with the client's answers over it.
        client = client_get_for(member, form_request.client_id)
        live = engine.definitions_for(workspace=member.workspace, scope="client")
        if may_write(member, client.pk):
            keys = {d.key for d in live}
            stored = crypto.open_values(client.workspace_id, crypto.CLIENT_FIELDS, client.pk, client.fields)
        else:
            keys = open_keys(live)
            stored = dict(client.fields or {})
        current = {k: v for k, v in stored.items() if k in keys}
        client_update(
            member=member,
            client_id=client.pk,
            data={"fields": {**current, **answered}},
            fields_complete=True,
        )
    else:
        session = session_get_for(member, form_request.session_id or 0)
        stored = sealing.open_phase(session, "pre")
        session_save_phase(
            member=member,
            session_id=session.pk,
            phase="pre",
            values={**stored, **answered},
            version=session.version,
        )
    _close(form_request, ip=ip, user_agent=user_agent, keys=sorted(answered))
    return form_request


def _clean_signature(raw: Any) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError

    message = _("Sign in the box with your finger or the mouse.")
    if not isinstance(raw, str) or not raw.startswith(SIGNATURE_PREFIX):
        raise ValidationFailed.single("signature", message)
    body = raw[len(SIGNATURE_PREFIX) :]
    if len(body) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise ValidationFailed.single("signature", _("The signature image is too large."))
    try:
        png = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.single(
            "signature", _("The signature could not be read; sign again.")
        ) from None
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationFailed.single("signature", _("A signature must be a PNG image."))
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG" or max(image.size) > MAX_SIGNATURE_SIDE:
                raise ValidationFailed.single("signature", _("The signature could not be read; sign again."))
            gray = ImageOps.grayscale(image.convert("RGBA").convert("RGB"))
            # Ink: pixels clearly darker than the white background (or a transparent one).
            alpha = image.convert("RGBA").getchannel("A")
            inked = gray.point(lambda p: 255 if p < 200 else 0)
            if alpha.getextrema()[1] == 0 or inked.getbbox() is None:
                raise ValidationFailed.single("signature", message)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed.single(
            "signature", _("The signature could not be read; sign again.")
        ) from None
    return png


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@transaction.atomic
def consent_sign(
    *, token: str, signature: Any, name: Any, agree: Any, ip: str | None, user_agent: str = ""
) -> FormRequest:
    """The client signs a consent: the drawn signature (a PNG data URL: PNG, bounded, not blank),
    the typed full name and the box ticked. The PDF (text, signature, name, time, address, hash)
    is kept as an administrative attachment of the client."""
    form_request = open_request(token, lock=True)
    if form_request.kind != FormKind.CONSENT or form_request.consent_document is None:
        raise FormClosed("missing")
    errors: list[FieldError] = []
    clean_name = name.strip() if isinstance(name, str) else ""
    if len(clean_name) < 2:
        errors.append(FieldError("name", _("Type your full name.")))
    elif len(clean_name) > 200 or "\x00" in clean_name:
        errors.append(FieldError("name", _("At most %(n)d characters.") % {"n": 200}))
    if agree is not True:
        errors.append(FieldError("agree", _("Tick the box to say you agree.")))
    png = b""
    try:
        png = _clean_signature(signature)
    except ValidationFailed as exc:
        errors += exc.fields
    if errors:
        raise ValidationFailed(errors)
    member = acting_member(form_request)
    document = form_request.consent_document
    workspace = form_request.workspace
    now = timezone.now()
    digest = text_sha256(document.text)
    with translation.override(form_request.language):
        pdf = consent_pdf(
            SignedConsent(
                practice=workspace.name,
                title=document.title,
                version=document.version,
                text=document.text,
                signer_name=clean_name,
                client_name=form_request.client.name,
                signed_at=now.astimezone(workspace.tz),
                timezone_name=str(workspace.tz),
                ip=ip or "",
                text_sha256=digest,
                signature_png=png,
            )
        )
        day = now.astimezone(workspace.tz).date().isoformat()
        file_name = f"{document.title[:80]} v{document.version} {day}.pdf"
    attachment = attachment_create(
        member=member,
        uploaded_file=SimpleUploadedFile(file_name, pdf, content_type="application/pdf"),
        kind="file",
        clinical=False,
        client=form_request.client,
    )
    form_request.signer_name = clean_name
    form_request.text_sha256 = digest
    form_request.consent_pdf = attachment
    _close(form_request, ip=ip, user_agent=user_agent, keys=[])
    return form_request


# --- e-mails --------------------------------------------------------------------------------------


def _send(subject: str, body: str, to: list[str]) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=body, to=to, headers={"Auto-Submitted": "auto-generated"}
    )
    try:
        message.send()
    except Exception as exc:  # a mail server down must not undo the work
        logger.warning("intake e-mail not sent: %s", exc)


def _when(moment: dt.datetime, tz: Any) -> str:
    return formats.date_format(moment.astimezone(tz), "SHORT_DATE_FORMAT")


def link_send(*, form_request_id: int, channel: str) -> str:
    """Send an open request's link to the client by e-mail or SMS (the worker's task). Returns what
    happened: "sent", "closed" (no longer open: nothing sent) or "failed" (logged)."""
    form_request = (
        FormRequest.objects.select_related("workspace", "client", "session", "consent_document")
        .filter(pk=form_request_id)
        .first()
    )
    if form_request is None or form_request.status != "open":
        return "closed"
    workspace = form_request.workspace
    url = links.request_url(form_request)
    with translation.override(form_request.language):
        context = {
            "practice": workspace.name,
            "client": form_request.client.name,
            "title": form_request.title,
            "url": url,
            "until": _when(form_request.expires_at, workspace.tz),
        }
        if channel == "sms":
            text = _("%(practice)s: please fill in “%(title)s” by %(until)s: %(url)s") % context
            number = sms_number(form_request.client)
            if number is None:
                return "failed"
            try:
                channels.backend("sms").send(
                    channels.Message(to=number, body=text, language=form_request.language)
                )
            except channels.SendFailed as exc:
                logger.warning("intake SMS not sent (request %s): %s", form_request.pk, exc.message)
                return "failed"
            return "sent"
        body = render_to_string("intake/email_link.txt", context)
        subject = _("%(practice)s asks you to fill in a form") % {"practice": workspace.name}
    _send(subject, body, [form_request.client.email])
    return "sent"


def staff_url(form_request: FormRequest) -> str:
    path = reverse(
        "intake:request",
        kwargs={"workspace_slug": form_request.workspace.slug, "form_request_id": form_request.pk},
    )
    return settings.ATENDO_PUBLIC_URL.rstrip("/") + path


def _mail_submitted(form_request: FormRequest) -> None:
    """To the practitioner and the sender: who filled in which form, and a link. Never a value."""
    workspace = form_request.workspace
    ids = {i for i in (form_request.practitioner_id, form_request.sent_by_id) if i}
    people = (
        Membership.objects.for_workspace(workspace).filter(pk__in=ids, is_active=True).select_related("user")
    )
    to = sorted({m.user.email for m in people if m.user.email})
    if not to:
        return
    with translation.override(workspace.language if workspace.language in LANGUAGE_CODES else "en"):
        context = {
            "client": form_request.client.name,
            "title": form_request.staff_title,
            "url": staff_url(form_request),
        }
        body = render_to_string("intake/email_submitted.txt", context)
        subject = _("%(client)s filled in “%(title)s”") % context
    _send(subject, body, to)
