"""`{% settings_sections as sections %}`: the settings pages the current member may open, grouped.

One list feeds the settings index (tiles) and the side navigation of every settings page,
including pages other apps build (field definitions, therapy types) when they extend
`workspaces/settings_base.html`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
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


def settings_sections(member: Any) -> list[SettingsSection]:
    if member is None:
        return []
    ws = {"workspace_slug": member.workspace.slug}

    def page(name: str, **kwargs: Any) -> str:
        return reverse(name, kwargs={**ws, **kwargs})

    codes = member.role.codes if member.is_active else frozenset()
    # (section, key, label, description, permission or None, url)
    entries = [
        (
            _("Workspace"),
            "general",
            _("General"),
            _("Name, time zone, currency, language and session defaults."),
            "workspace.manage",
            page("workspaces:settings_general"),
        ),
        (
            _("Workspace"),
            "hours",
            _("Working hours"),
            _("When the practice is open, day by day."),
            "workspace.manage",
            page("workspaces:settings_hours"),
        ),
        (
            _("Workspace"),
            "pix",
            _("PIX"),
            _('The PIX key for the "copia e cola" code and QR shown on amounts due (BRL).'),
            "workspace.manage",
            page("billing:pix_settings"),
        ),
        (
            _("People and access"),
            "members",
            _("Members"),
            _("Who works here and with which role."),
            "members.manage",
            page("workspaces:members"),
        ),
        (
            _("People and access"),
            "roles",
            _("Roles"),
            _("What each role may see and do."),
            "members.manage",
            page("workspaces:roles"),
        ),
        (
            _("Forms and services"),
            "fields_session",
            _("Session fields"),
            _("What is recorded before, during and after a session."),
            "session.fields.manage",
            page("fields:list", scope="session"),
        ),
        (
            _("Forms and services"),
            "fields_client",
            _("Client fields"),
            _("Extra information kept about each client."),
            "client.fields.manage",
            page("fields:list", scope="client"),
        ),
        (
            _("Forms and services"),
            "fields_evaluation",
            _("Evaluation fields"),
            _("The questions of client evaluations."),
            "evaluation.fields.manage",
            page("fields:list", scope="evaluation"),
        ),
        (
            _("Forms and services"),
            "therapy_types",
            _("Therapy types"),
            _("Services offered, with colour, duration, price and their own fields."),
            "therapy_types.manage",
            page("therapies:list"),
        ),
        (
            _("Forms and services"),
            "consent",
            _("Consent documents"),
            _("Texts clients read and sign on their phone, kept as a signed PDF."),
            "workspace.manage",
            page("intake:consent_list"),
        ),
        (
            _("Reminders and calendar"),
            "booking",
            _("Online booking"),
            _("A public page where clients book a free time themselves."),
            "workspace.manage",
            page("booking:settings"),
        ),
        (
            _("Reminders and calendar"),
            "reminders",
            _("Reminders"),
            _("E-mail, WhatsApp and SMS reminders before each session, and the client's confirmation link."),
            "workspace.manage",
            page("reminders:settings"),
        ),
        (
            _("Reminders and calendar"),
            "notifications",
            _("Reminders sent"),
            _("What was sent to whom and whether it arrived."),
            "session.read",
            page("reminders:log"),
        ),
        (
            _("Reminders and calendar"),
            "calendar_feed",
            _("Calendar feed"),
            _("Your sessions in your phone's or computer's calendar, through a private link."),
            None,
            page("feeds:index"),
        ),
        (
            _("Security and integrations"),
            "security",
            _("Sign-in security"),
            _("Two-step verification and signing out idle sessions."),
            "workspace.manage",
            page("workspaces:settings_security"),
        ),
        (
            _("Security and integrations"),
            "api_tokens",
            _("API tokens"),
            _("Keys that let other programs use the API as you."),
            None,
            page("workspaces:api_tokens"),
        ),
        (
            _("Security and integrations"),
            "audit",
            _("Audit trail"),
            _("Who changed or read what, and when."),
            "audit.read",
            page("trail:list"),
        ),
        (
            _("Security and integrations"),
            "retention",
            _("Retention and data requests"),
            _("How long records are kept (CFP, LGPD), clients' erasure requests and their log."),
            "client.erase",
            page("retention:index"),
        ),
        (
            _("Security and integrations"),
            "backup",
            _("Backup"),
            _("The whole workspace as one archive another installation restores."),
            "clinical.read_all",  # with workspace.manage, checked by the page (atendo/backup)
            page("backup:index"),
        ),
        (
            _("Your account"),
            "profile",
            _("Your profile"),
            _("Your name and the professional details printed on your receipts."),
            None,
            page("workspaces:profile"),
        ),
        (
            _("Your account"),
            "my_hours",
            _("Your working hours"),
            _("When you see clients, if it differs from the workspace's hours."),
            None,
            page("workspaces:member_hours", membership_id=member.pk),
        ),
        (
            _("Your account"),
            "password",
            _("Password"),
            _("Change the password you log in with."),
            None,
            reverse("password_change"),
        ),
        (
            _("Your account"),
            "account_security",
            _("Two-step verification and sessions"),
            _("A code from your phone when you log in; where you are signed in."),
            None,
            reverse("account_security"),
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
