"""The words of a reminder: built-in texts per language, a workspace's own, and the placeholders.

A reminder says only when, with whom, where, and the link: `PLACEHOLDERS` are all a text may use
(the client's first name, the date and time in the workspace's zone, the practitioner, the
practice, its address, the link, and the session's video-call link). There is no placeholder for a
session's name, notes or any field value, so no text a workspace writes can carry clinical content.

`{video_link}` is the session's telehealth link (administrative: `Session.video_url`). A line of a
text that uses it is left out of a reminder of a session without one, so the built-in texts (and a
workspace's own) say "Video call: …" only when there is a call to join.
"""

from __future__ import annotations

import string
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _

from atendo.core.errors import FieldError, ValidationFailed

LANGUAGES = ("pt-BR", "en")
PLACEHOLDERS = ("first_name", "date", "time", "practitioner", "practice", "address", "link", "video_link")
# The WhatsApp template's body parameters, {{1}} … {{6}}, in this order (the approved template has
# no video parameter: a WhatsApp reminder's link page shows the video call instead).
WHATSAPP_PARAMS = ("first_name", "date", "time", "practitioner", "practice", "link")
MAX_SUBJECT = 200
MAX_BODY = 2000
# An SMS text: three concatenated messages at most (a filled text is cut to `MAX_SMS_SENT`).
MAX_SMS = 400
MAX_SMS_SENT = 459
PARTS = {"subject": MAX_SUBJECT, "body": MAX_BODY, "sms": MAX_SMS}

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Reminder: your session on {date} at {time}",
        "body": (
            "Hello {first_name},\n\n"
            "This is a reminder of your session with {practitioner} at {practice} on {date} at {time}.\n"
            "{address}\n"
            "Video call: {video_link}\n\n"
            "Please confirm or cancel here: {link}\n"
        ),
        "sms": (
            "Hi {first_name}, a reminder of your session with {practitioner} ({practice}) on {date} "
            "at {time}. Confirm or cancel: {link}"
        ),
    },
    "pt-BR": {
        "subject": "Lembrete: sua sessão em {date} às {time}",
        "body": (
            "Olá, {first_name}!\n\n"
            "Lembramos da sua sessão com {practitioner} em {practice} no dia {date} às {time}.\n"
            "{address}\n"
            "Link da videochamada: {video_link}\n\n"
            "Confirme ou cancele aqui: {link}\n"
        ),
        "sms": (
            "Olá, {first_name}! Lembrete da sua sessão com {practitioner} ({practice}) em {date} "
            "às {time}. Confirme ou cancele: {link}"
        ),
    },
}


# The e-mail after a client confirms (built-in: it says only that the session is confirmed).
CONFIRMATION: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Confirmed: your session on {date} at {time}",
        "body": (
            "Hello {first_name},\n\n"
            "Your session with {practitioner} at {practice} on {date} at {time} is confirmed.\n"
            "The attached invitation adds it to your calendar.\n"
            "{address}\n"
            "Video call: {video_link}\n\n"
            "If you cannot come, please cancel here: {link}\n"
        ),
    },
    "pt-BR": {
        "subject": "Confirmada: sua sessão em {date} às {time}",
        "body": (
            "Olá, {first_name}!\n\n"
            "Sua sessão com {practitioner} em {practice} no dia {date} às {time} está confirmada.\n"
            "O convite anexo a adiciona à sua agenda.\n"
            "{address}\n"
            "Link da videochamada: {video_link}\n\n"
            "Se não puder comparecer, cancele aqui: {link}\n"
        ),
    },
}


def language_of(value: str) -> str:
    return value if value in LANGUAGES else ("pt-BR" if (value or "").lower().startswith("pt") else "en")


def check_text(text: str, path: str) -> list[FieldError]:
    """Errors of a text: an unknown placeholder, or a brace that opens nothing."""
    try:
        names = [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return [FieldError(path, _("A brace is not closed: write placeholders as {first_name}."))]
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        return [
            FieldError(
                path,
                _("Unknown placeholder {%(name)s}; use %(known)s.")
                % {"name": unknown[0], "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)},
            )
        ]
    return []


def clean_templates(value: Any, path: str = "templates") -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        raise ValidationFailed.single(
            path, _('Give the texts per language, e.g. {"en": {"subject", "body", "sms"}}.')
        )
    errors: list[FieldError] = []
    out: dict[str, dict[str, str]] = {}
    for language, parts in value.items():
        where = f"{path}.{language}"
        if language not in LANGUAGES:
            errors.append(FieldError(where, _("Languages are pt-BR and en.")))
            continue
        if not isinstance(parts, dict):
            errors.append(FieldError(where, _("Give a subject, a body and an SMS text.")))
            continue
        out[language] = {}
        for key, limit in PARTS.items():
            if key not in parts:
                continue
            text = parts[key]
            if not isinstance(text, str):
                errors.append(FieldError(f"{where}.{key}", _("Must be text.")))
                continue
            text = text.replace("\r\n", "\n").strip()
            if len(text) > limit:
                errors.append(FieldError(f"{where}.{key}", _("At most %(n)d characters.") % {"n": limit}))
                continue
            errors += check_text(text, f"{where}.{key}")
            out[language][key] = text  # "" puts the built-in text back
        extra = sorted(set(parts) - set(PARTS))
        if extra:
            errors.append(FieldError(f"{where}.{extra[0]}", _("Unknown field.")))
    if errors:
        raise ValidationFailed(errors)
    return out


def merge_templates(current: dict[str, dict[str, str]], given: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A workspace's texts with the `given` parts changed (the others kept); a part that is empty
    or the same as the built-in text is no customisation and is not stored."""
    merged = {lang: dict(parts) for lang, parts in current.items()}
    for lang, parts in given.items():
        mine = merged.setdefault(lang, {})
        for part, text in parts.items():
            if text and text != DEFAULTS[lang][part]:
                mine[part] = text
            else:
                mine.pop(part, None)
    return {lang: parts for lang, parts in merged.items() if parts}


def text_of(templates: dict[str, dict[str, str]], language: str, part: str) -> str:
    return (templates.get(language) or {}).get(part) or DEFAULTS[language][part]


VIDEO_PLACEHOLDER = "{video_link}"


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its placeholders filled. Without a video link, the lines that name
    `{video_link}` are left out (a one-line text, e.g. a subject, only loses the placeholder)."""
    if not values.get("video_link") and VIDEO_PLACEHOLDER in text and "\n" in text:
        text = "\n".join(line for line in text.split("\n") if VIDEO_PLACEHOLDER not in line)
    return text.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def values_for(
    *,
    first_name: str,
    starts_local: Any,
    practitioner: str,
    practice: str,
    address: str,
    link: str,
    language: str,
    video_link: str = "",
) -> dict[str, str]:
    with translation.override(language):
        date = formats.date_format(starts_local, "DATE_FORMAT")
    if language == "pt-BR":
        date = date.lower()  # "6 de dezembro de 2026": Portuguese writes months in lower case
    return {
        "first_name": first_name,
        "date": date,
        "time": starts_local.strftime("%H:%M"),
        "practitioner": practitioner,
        "practice": practice,
        "address": address,
        "link": link,
        "video_link": video_link,
    }
