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
    # Being assigned to a client opens their whole clinical record (with clinical.read_own), so
    # choosing who is assigned is its own privilege, never a side effect of editing or booking.
    "client.assign": _("Assign practitioners to clients"),
    "client.fields.manage": _("Manage client fields"),
    # Anonymising a client on request (LGPD art. 18) and keeping the log of such requests
    # (atendo/retention). Owner by default; an erasure also needs clinical access to the client.
    "client.erase": _("Erase clients' identifying data and keep the data-subject request log"),
    "clinical.read_own": _("Read clinical content of own clients"),
    "clinical.read_all": _("Read all clinical content"),
    "billing.read": _("See payments and invoices"),
    "billing.manage": _("Record payments and issue invoices"),
    "therapy_types.manage": _("Manage therapy types"),
    "workspace.manage": _("Manage workspace settings"),
    "members.manage": _("Manage members and roles"),
    "insights.read": _("Read insights"),
    "audit.read": _("Read the audit trail"),
    # Income, attendance and client reports (aggregates; no clinical content). Owner by default.
    "reports.read": _("See reports (income, attendance, clients)"),
    # The same reports limited to the member's own sessions (a therapist's own income and
    # attendance). Therapist by default; `reports.read` (the whole practice) includes it.
    "reports.read_own": _("See reports of own sessions"),
}
ALL = frozenset(CATALOGUE)
# Either grants a member clinical content: such a role's members offer sessions by default.
CLINICAL_ACCESS = frozenset({"clinical.read_own", "clinical.read_all"})

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
            "reports.read_own",
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
