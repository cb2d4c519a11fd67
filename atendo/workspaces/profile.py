"""A member's own profile: the name everyone sees, and the professional details printed on the
receipts they issue (profession, registration such as "CRP 06/123456", CPF/CNPJ or NPI/EIN), and
their default video room (`video_room_url`, checked by `workspaces.video`; an owner may also set
anyone's through `services.member_update`).

Only the member edits their own profile (`member_profile_update`): a receipt speaks in the
professional's name, so nobody else writes it. The display name is the user's name (one person, one
name in every workspace they belong to); the professional details belong to the membership, so a
person who works in two practices may register differently in each, and nothing crosses workspaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record, diff
from atendo.core.clean import FieldErrors, clean_text
from atendo.core.taxids import clean_tax_id
from atendo.workspaces.models import Membership
from atendo.workspaces.video import clean_video_url

MAX_NAME = 150
MAX_PROFESSION = 100
MAX_REGISTRATION = 60
PROFILE_FIELDS = ("name", "profession", "registration", "tax_id", "video_room_url")


def profile_json(member: Membership) -> dict[str, Any]:
    """The member's own profile as the API shows it (the tax id only to its owner: this is `/me`)."""
    return {
        "member_id": member.pk,
        "email": member.user.email,
        "name": member.user.name,
        "display_name": member.display_name,
        "profession": member.profession,
        "registration": member.registration,
        "tax_id": member.tax_id,
        "video_room_url": member.video_room_url,
    }


def _clean(data: Mapping[str, Any]) -> dict[str, str]:
    errors = FieldErrors()
    cleaned: dict[str, str] = {}
    for key in sorted(set(data) - set(PROFILE_FIELDS)):
        errors.add(key, _("Unknown field."))
    limits = {"name": MAX_NAME, "profession": MAX_PROFESSION, "registration": MAX_REGISTRATION}
    for key, limit in limits.items():
        if key in data:
            text = errors.check(clean_text, data[key], key, max_length=limit)
            if text is not None:
                cleaned[key] = " ".join(text.split())
    if "tax_id" in data:
        raw = errors.check(clean_text, data["tax_id"], "tax_id", max_length=100)
        if raw is not None:
            tax_id = errors.check(clean_tax_id, raw, "tax_id")
            if tax_id is not None:
                cleaned["tax_id"] = tax_id
    if "video_room_url" in data:
        room = errors.check(clean_video_url, data["video_room_url"], "video_room_url")
        if room is not None:
            cleaned["video_room_url"] = room
    errors.raise_if_any()
    return cleaned


@transaction.atomic
def member_profile_update(*, member: Membership, data: Mapping[str, Any]) -> Membership:
    """Change the acting member's own name and professional details (any subset of
    `PROFILE_FIELDS`; "" clears one). Audited: what changed, the tax id only as "changed"."""
    cleaned = _clean(data)
    target = Membership.objects.select_for_update().select_related("user", "role").get(pk=member.pk)
    user = target.user
    before = {"name": user.name, **{k: getattr(target, k) for k in PROFILE_FIELDS[1:]}}
    if "name" in cleaned and cleaned["name"] != user.name:
        user.name = cleaned["name"]
        user.save(update_fields=["name"])
    member_fields = [k for k in PROFILE_FIELDS[1:] if k in cleaned and cleaned[k] != getattr(target, k)]
    for key in member_fields:
        setattr(target, key, cleaned[key])
    if member_fields:
        target.save(update_fields=[*member_fields, "updated_at"])
    after = {"name": user.name, **{k: getattr(target, k) for k in PROFILE_FIELDS[1:]}}
    changes: dict[str, Any] = diff(before, after)
    if "tax_id" in changes:
        changes["tax_id"] = "changed"
    if changes:
        audit_record(
            workspace=member.workspace, actor=member, action="member.profile", obj=target, changes=changes
        )
    member.user = user
    for key in PROFILE_FIELDS[1:]:
        setattr(member, key, getattr(target, key))
    return member
