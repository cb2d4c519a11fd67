"""The permission catalogue. Roles are made of these codes; nothing else grants access."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CATALOGUE: dict[str, str | Promise] = {
    "session.read": _("See sessions (calendar, list, API, exports)"),
    "session.create": _("Create sessions"),
    "session.update": _("Edit sessions"),
    "session.delete": _("Delete sessions"),
    "session.fields.manage": _("Manage session fields"),
    "evaluation.fields.manage": _("Manage evaluation fields"),
    "client.read": _("See clients"),
    "client.create": _("Create clients"),
    "client.update": _("Edit clients"),
    "client.delete": _("Delete clients"),
    "client.fields.manage": _("Manage client fields"),
    "clinical.read_own": _("Read clinical content of own clients"),
    "clinical.read_all": _("Read all clinical content"),
    "billing.read": _("See payments and invoices"),
    "billing.manage": _("Record payments and issue invoices"),
    "therapy_types.manage": _("Manage therapy types"),
    "workspace.manage": _("Manage workspace settings"),
    "members.manage": _("Manage members and roles"),
    "insights.read": _("Read insights"),
    "audit.read": _("Read the audit trail"),
}
ALL = frozenset(CATALOGUE)

OWNER = "Owner"
THERAPIST = "Therapist"
ASSISTANT = "Assistant"

DEFAULT_ROLES: dict[str, frozenset[str]] = {
    OWNER: ALL,
    THERAPIST: frozenset(
        {
            "session.read",
            "session.create",
            "session.update",
            "session.delete",
            "client.read",
            "client.create",
            "client.update",
            "clinical.read_own",
            "billing.read",
            "billing.manage",
            "insights.read",
        }
    ),
    ASSISTANT: frozenset(
        {
            "session.read",
            "session.create",
            "session.update",
            "client.read",
            "client.create",
            "client.update",
            "billing.read",
            "billing.manage",
        }
    ),
}
