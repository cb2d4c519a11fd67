"""What a workspace archive holds: its tables, in the order a restore inserts them (every foreign key
points to a table before its own, except the ids inside JSON, which the restore fills in once every
row is in), and the models deliberately left out, with the reason.

A table is one model's rows of the workspace, one JSON object per line, ordered by id. Every
concrete column is written under its attribute name (`client_id`, not `client`), except
`workspace_id` (the archive is one workspace). Foreign keys are remapped by the restore from the
model's own metadata; ids held inside JSON (field values, settings, the audit trail) by
`backup.remap`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class Table:
    name: str  # the archive member is `tables/<name>.jsonl`
    model: str  # "app_label.ModelName"
    # Columns written only after every table is in: sealed content (bound to the new row id) and
    # JSON holding ids of tables inserted later (attachments named by field values).
    late: tuple[str, ...] = ()

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def member(self) -> str:
        return f"tables/{self.name}.jsonl"


TABLES: tuple[Table, ...] = (
    Table("users", "accounts.User"),
    Table("roles", "workspaces.Role"),
    Table("memberships", "workspaces.Membership"),
    Table("therapy_types", "therapies.TherapyType"),
    Table("consent_documents", "intake.ConsentDocument"),
    Table("field_definitions", "fields.FieldDefinition"),
    Table("note_templates", "fields.NoteTemplate"),
    Table("note_template_defaults", "fields.NoteTemplateDefault", late=("template",)),
    Table("clients", "clients.Client", late=("fields",)),
    Table("client_practitioners", "clinical.ClientPractitioner"),
    Table("client_reminder_prefs", "reminders.ClientReminderPrefs"),
    Table("session_series", "scheduling.SessionSeries"),
    Table(
        "sessions",
        "scheduling.Session",
        late=("notes", "pre_fields", "during_fields", "post_fields", "therapy_fields", "signature_hash"),
    ),
    Table("session_status_changes", "scheduling.SessionStatusChange"),
    Table("session_addenda", "scheduling.SessionAddendum", late=("text",)),
    Table("payments", "billing.Payment"),
    Table("invoices", "billing.Invoice"),
    Table("invoice_lines", "billing.InvoiceLine"),
    Table("invoice_counter", "billing.InvoiceCounter"),
    Table("pix_settings", "billing.PixSettings"),
    Table("evaluations", "evaluations.Evaluation", late=("title", "values")),
    Table("attachments", "files.Attachment", late=("original_name",)),
    Table("form_requests", "intake.FormRequest"),
    Table("notifications", "reminders.Notification"),
    Table("bookings", "booking.Booking"),
    Table("booking_settings", "booking.BookingSettings", late=("therapy_type_ids", "practitioner_ids")),
    Table("reminder_settings", "reminders.ReminderSettings"),
    Table("retention_policy", "retention.RetentionPolicy"),
    Table("data_requests", "retention.DataRequest"),
    Table("audit_events", "audit.AuditEvent"),
    Table("audit_event_clients", "audit.AuditEventClient"),
)

BY_NAME = {t.name: t for t in TABLES}
BY_MODEL = {t.model: t for t in TABLES}

# The workspace itself is the manifest's `workspace` (its settings columns), not a table.
WORKSPACE_MODEL = "workspaces.Workspace"

# Every model of the project is in the archive, is the workspace, or is here with its reason
# (`tests/test_coverage.py` fails for a model that is none of them).
NOT_BACKED_UP: dict[str, str] = {
    "accounts.ApiToken": "a secret of this installation: members create new tokens after a restore",
    "accounts.LoginFailure": "sign-in throttling, short-lived and per installation",
    "accounts.PasswordResetRequest": "password-reset throttling, short-lived",
    "accounts.TotpDevice": "second-factor secrets stay with the installation; members set MFA up again",
    "accounts.RecoveryCode": "second-factor recovery codes, as above",
    "accounts.MfaFailure": "second-factor throttling, short-lived",
    "accounts.UserSession": "browser sign-ins of this installation",
    "clinical.WorkspaceKey": "data keys of this installation: the archive holds the content opened, "
    "and the restore seals it with the target's keys",
    "scheduling.SessionPrivateNote": "readable by its author alone, never by the owner who exports "
    "(docs/backup.md, Private notes)",
    "insights.SearchDocument": "derived from the records: the restore rebuilds the search index",
    "exports.Export": "jobs and their temporary files, expired within a day",
    "portal.PortalLink": "a client's sign-in link, single use and valid for minutes",
    "portal.PortalSession": "a client's portal sign-in of this installation",
    "feeds.CalendarFeed": "each feed URL carries a secret of this installation: members subscribe again",
}


def backed_up_models() -> set[str]:
    return {t.model for t in TABLES} | {WORKSPACE_MODEL}


def table_of(model: type[models.Model]) -> Table | None:
    return BY_MODEL.get(model._meta.label)
