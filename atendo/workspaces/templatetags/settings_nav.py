"""`{% settings_sections as sections %}`: the settings pages the current member may open, grouped.

One list feeds the settings index (tiles) and the side navigation of every settings page,
including pages other apps build (field definitions, therapy types) when they extend
`workspaces/settings_base.html`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

register = template.Library()


@dataclass(frozen=True)
class SettingsLink:
    key: str
    label: str | Promise
    description: str | Promise
    url: str


@dataclass(frozen=True)
class SettingsSection:
    title: str | Promise
    links: list[SettingsLink]


def _url(name: str, slug: str, fallback: str) -> str:
    try:
        return reverse(name, kwargs={"workspace_slug": slug})
    except NoReverseMatch:
        return fallback


def _url_plain(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def settings_sections(member: Any) -> list[SettingsSection]:
    if member is None:
        return []
    slug = member.workspace.slug
    base = f"/w/{slug}/settings/"
    codes = member.role.codes if member.is_active else frozenset()
    # (section, key, label, description, permission or None, url)
    entries = [
        (
            _("Workspace"),
            "general",
            _("General"),
            _("Name, time zone, currency, language and session defaults."),
            "workspace.manage",
            f"{base}workspace/",
        ),
        (
            _("Workspace"),
            "hours",
            _("Working hours"),
            _("When the practice is open, day by day."),
            "workspace.manage",
            f"{base}working-hours/",
        ),
        (
            _("People and access"),
            "members",
            _("Members"),
            _("Who works here and with which role."),
            "members.manage",
            f"{base}members/",
        ),
        (
            _("People and access"),
            "roles",
            _("Roles"),
            _("What each role may see and do."),
            "members.manage",
            f"{base}roles/",
        ),
        (
            _("Forms and services"),
            "fields_session",
            _("Session fields"),
            _("What is recorded before, during and after a session."),
            "session.fields.manage",
            f"{base}fields/session/",
        ),
        (
            _("Forms and services"),
            "fields_client",
            _("Client fields"),
            _("Extra information kept about each client."),
            "client.fields.manage",
            f"{base}fields/client/",
        ),
        (
            _("Forms and services"),
            "fields_evaluation",
            _("Evaluation fields"),
            _("The questions of client evaluations."),
            "evaluation.fields.manage",
            f"{base}fields/evaluation/",
        ),
        (
            _("Forms and services"),
            "therapy_types",
            _("Therapy types"),
            _("Services offered, with colour, duration, price and their own fields."),
            "therapy_types.manage",
            f"{base}therapy-types/",
        ),
        (
            _("Security and integrations"),
            "api_tokens",
            _("API tokens"),
            _("Keys that let other programs use the API as you."),
            None,
            f"{base}api-tokens/",
        ),
        (
            _("Security and integrations"),
            "audit",
            _("Audit trail"),
            _("Who changed or read what, and when."),
            "audit.read",
            _url("audit:list", slug, f"{base}audit/"),
        ),
        (
            _("Your account"),
            "my_hours",
            _("Your working hours"),
            _("When you see clients, if it differs from the workspace's hours."),
            None,
            f"{base}members/{member.pk}/hours/",
        ),
        (
            _("Your account"),
            "password",
            _("Password"),
            _("Change the password you log in with."),
            None,
            _url_plain("password_change", "/account/password/"),
        ),
    ]
    sections: dict[str, SettingsSection] = {}
    for title, key, label, description, code, url in entries:
        if code is not None and code not in codes:
            continue
        section = sections.setdefault(str(title), SettingsSection(title, []))
        section.links.append(SettingsLink(key, label, description, url))
    return list(sections.values())


@register.simple_tag(takes_context=True)
def get_settings_sections(context: Any) -> list[SettingsSection]:
    return settings_sections(context.get("member"))
