"""The session page's clinical record card: the signature (and the sign button for the
practitioner), the addenda under the notes, and the reader's own private note.

Built from the redacted session JSON (`serializers`): a reader without clinical access gets neither
addenda nor private note (both are absent from their JSON or refused by the service); the private
note shown is always the asking member's own (`services.private_notes`). The forms post to the
recording app's pages (sign, addendum) and to the private note page, by URL name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from atendo.scheduling.services.private_notes import private_note_get
from atendo.workspaces.models import Membership


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def clinical_record_context(member: Membership, item: dict[str, Any]) -> dict[str, Any]:
    readable = "notes" not in item["withheld"]
    signed = bool(item.get("signed_at"))
    kwargs = {"workspace_slug": member.workspace.slug, "session_id": item["id"]}
    can_write = readable and member.has_perm("session.update")
    return {
        "signed": signed,
        "signed_dt": _moment(item.get("signed_at")),
        # Only the session's practitioner signs, and the practitioner cannot change once signed.
        "signed_by_name": item["practitioner_name"]
        if item.get("signed_by") == item["practitioner_id"]
        else "",
        "can_sign": not signed
        and can_write
        and item["status"] == "completed"
        and item["practitioner_id"] == member.pk,
        "sign_url": reverse("recording:sign", kwargs=kwargs),
        "addenda": [{**a, "created_dt": _moment(a["created_at"])} for a in item.get("addenda") or []],
        "can_add_addendum": signed and can_write,
        "addendum_url": reverse("recording:addendum", kwargs=kwargs),
        "private_note": private_note_get(member=member, session_id=item["id"]) if readable else None,
        "private_note_url": reverse("recording:private_note", kwargs=kwargs),
    }
