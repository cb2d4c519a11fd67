"""The channels a reminder goes by, behind one small interface: `send(message) -> provider id`.

- `EmailChannel`: Django's mail (`EMAIL_*` settings: SMTP when `EMAIL_HOST` is set, the console in
  development).
- `WhatsAppChannel`: the WhatsApp Cloud API, `POST {WHATSAPP_API_URL}/{phone-number-id}/messages`
  with a bearer token, a *template* message (the only kind a business may start a conversation
  with), the placeholders as the body's text parameters.
- `SmsWebhookChannel`: any SMS gateway behind a small webhook, `POST {SMS_WEBHOOK_URL}` with JSON
  `{"to", "text", "language", "reference"}`, a bearer token (`SMS_WEBHOOK_TOKEN`) when set, and an
  HMAC-SHA256 of the body (`X-Atendo-Signature: sha256=…`, `SMS_WEBHOOK_SECRET`) when set, so the
  gateway can tell the request is ours. A 2xx answer is sent; its JSON `id` (or `message_id`) is the
  provider id, else our reference.

A failure raises `SendFailed` with `transient` set when trying again later may work (a rate limit, a
5xx, a network error); otherwise the message is marked failed for good.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

# The Cloud API's error codes worth another try (rate limits, temporary errors).
WHATSAPP_TRANSIENT_CODES = {1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004}


@dataclass
class Message:
    """What one channel sends: `to` is an e-mail address or an E.164 number."""

    to: str
    subject: str = ""
    body: str = ""
    language: str = "en"
    template: str = ""
    params: list[str] = field(default_factory=list)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


class SendFailed(Exception):
    def __init__(self, code: str, message: str, *, transient: bool):
        super().__init__(message)
        self.code = code
        self.message = message[:300]
        self.transient = transient


class ChannelBackend(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, message: Message) -> str: ...


class EmailChannel:
    name = "email"

    def send(self, message: Message) -> str:
        message_id = make_msgid(domain="atendo")
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
            connection=get_connection(timeout=settings.REMINDERS_SEND_TIMEOUT),
        )
        for name, content, mimetype in message.attachments:
            email.attach(name, content, mimetype)
        try:
            email.send()
        except (OSError, TimeoutError) as exc:  # smtplib's errors are OSErrors
            permanent = getattr(exc, "smtp_code", 0) >= 500
            raise SendFailed("smtp", str(exc) or exc.__class__.__name__, transient=not permanent) from exc
        return message_id


WHATSAPP_LANGUAGES = {"pt-BR": "pt_BR", "en": "en_US"}


class WhatsAppChannel:
    name = "whatsapp"

    def payload(self, message: Message) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
            "type": "template",
            "template": {
                "name": message.template,
                "language": {"code": WHATSAPP_LANGUAGES.get(message.language, "en_US")},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": p} for p in message.params]}
                ],
            },
        }

    def send(self, message: Message) -> str:
        if not (settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID):
            raise SendFailed("not_configured", "WhatsApp is not configured.", transient=False)
        url = f"{settings.WHATSAPP_API_URL.rstrip('/')}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
        if not url.startswith(("https://", "http://")):
            raise SendFailed("not_configured", "WHATSAPP_API_URL must be an http(s) URL.", transient=False)
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            url,
            data=json.dumps(self.payload(message)).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {settings.WHATSAPP_TOKEN}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.REMINDERS_SEND_TIMEOUT) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise _whatsapp_error(exc.code, exc.read()) from exc
        except (OSError, ValueError) as exc:
            raise SendFailed("network", str(exc) or exc.__class__.__name__, transient=True) from exc
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise SendFailed(
                "bad_answer", "The WhatsApp API answered without a message id.", transient=True
            ) from exc


def _whatsapp_error(status: int, body: bytes) -> SendFailed:
    try:
        error = json.loads(body or b"{}").get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code")
    transient = status == 429 or status >= 500 or code in WHATSAPP_TRANSIENT_CODES
    text = str(error.get("message") or f"HTTP {status}")
    return SendFailed(f"whatsapp_{code or status}", text, transient=transient)


class SmsWebhookChannel:
    name = "sms"

    def payload(self, message: Message, reference: str) -> dict[str, Any]:
        return {"to": message.to, "text": message.body, "language": message.language, "reference": reference}

    def send(self, message: Message) -> str:
        url = settings.SMS_WEBHOOK_URL
        if not url:
            raise SendFailed("not_configured", "SMS is not configured (SMS_WEBHOOK_URL).", transient=False)
        if not url.startswith(("https://", "http://")):
            raise SendFailed("not_configured", "SMS_WEBHOOK_URL must be an http(s) URL.", transient=False)
        reference = f"atendo-{secrets.token_hex(12)}"
        body = json.dumps(self.payload(message, reference)).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "Atendo reminders"}
        if settings.SMS_WEBHOOK_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_WEBHOOK_TOKEN}"
        if settings.SMS_WEBHOOK_SECRET:
            digest = hmac.new(settings.SMS_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Atendo-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=settings.REMINDERS_SEND_TIMEOUT) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            transient = exc.code in (408, 425, 429) or exc.code >= 500
            raise SendFailed(
                f"sms_{exc.code}", f"The SMS gateway answered HTTP {exc.code}.", transient=transient
            ) from exc
        except OSError as exc:
            raise SendFailed("network", str(exc) or exc.__class__.__name__, transient=True) from exc
        try:
            answer = json.loads(raw) if raw.strip() else {}
        except ValueError:
            answer = {}
        provider_id = (answer.get("id") or answer.get("message_id")) if isinstance(answer, dict) else None
        return str(provider_id or reference)


BACKENDS: dict[str, Callable[[], ChannelBackend]] = {
    "email": EmailChannel,
    "whatsapp": WhatsAppChannel,
    "sms": SmsWebhookChannel,
}


def backend(name: str) -> ChannelBackend:
    return BACKENDS[name]()
