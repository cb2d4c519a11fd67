"""Workspaces (practices), their roles and memberships."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, ClassVar, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel, TenantQuerySet
from atendo.workspaces import permissions

if TYPE_CHECKING:
    from atendo.accounts.signin import SignIn

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_working_hours() -> dict[str, list[list[str]]]:
    weekday = [["09:00", "12:00"], ["13:00", "18:00"]]
    return {day: (weekday if day not in {"sat", "sun"} else []) for day in WEEKDAYS}


class Workspace(models.Model):
    """A practice. Everything tenant-owned hangs off one of these and never crosses to another."""

    class CalendarView(models.TextChoices):
        DAY = "day", _("Day")
        WEEK = "week", _("Week")
        MONTH = "month", _("Month")
        AGENDA = "agenda", _("Agenda")

    class MfaRequired(models.TextChoices):
        OFF = "off", _("No one (each member may turn it on)")
        CLINICAL = "clinical", _("Members with clinical access")
        EVERYONE = "everyone", _("Everyone")

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    currency = models.CharField(_("currency"), max_length=3, default="BRL")
    language = models.CharField(_("language"), max_length=10, default="en")
    # {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ..., "sun": []}; validated by services.
    working_hours = models.JSONField(_("working hours"), default=default_working_hours)
    default_duration_minutes = models.PositiveIntegerField(_("default duration (minutes)"), default=60)
    default_status = models.CharField(_("default status"), max_length=20, default="scheduled")
    default_start_time = models.TimeField(_("default start time"), default=dt.time(9, 0))
    slot_minutes = models.PositiveIntegerField(_("calendar slot (minutes)"), default=30)
    default_calendar_view = models.CharField(
        _("default calendar view"), max_length=10, choices=CalendarView.choices, default=CalendarView.WEEK
    )
    prevent_double_booking = models.BooleanField(_("prevent double booking"), default=False)
    payment_due_days = models.PositiveIntegerField(_("payment due after (days)"), default=7)
    # Attendance: a client's cancellation less than this many hours before the start is late
    # (0: none is); the fees are null (none) or {"type": "amount"|"percent", "value": "<decimal>"},
    # a percentage being of the session's therapy type's price. Applied by
    # `scheduling.services.attendance`.
    cancellation_window_hours = models.PositiveIntegerField(
        _("cancellation window (hours)"), default=24, db_default=24
    )
    no_show_fee = models.JSONField(_("no-show fee"), null=True, blank=True)
    late_cancel_fee = models.JSONField(_("late cancellation fee"), null=True, blank=True)
    # Receipts: the practice's address as printed on them, and the key of the (administrative)
    # client field that holds a client's tax id (CPF / SSN…), blank for none. `billing.receipts`.
    address = models.TextField(_("practice address"), blank=True, default="", db_default="")
    client_tax_id_field = models.CharField(
        _("client tax id field"), max_length=64, blank=True, default="", db_default=""
    )
    # Sign-in security (workspaces/security.py): who must use two-step verification, and after how
    # long without activity a browser session ends, for members with and without clinical access.
    mfa_required = models.CharField(
        _("require two-step verification"), max_length=10, choices=MfaRequired.choices, default="off"
    )
    idle_timeout_clinical_minutes = models.PositiveIntegerField(
        _("idle timeout, clinical access (minutes)"), default=30
    )
    idle_timeout_minutes = models.PositiveIntegerField(_("idle timeout, others (minutes)"), default=240)
    # Insights: an external language model (OpenAI-compatible) answers questions over the notes only
    # when the owner switches it on; blank URL / model fall back to ATENDO_LLM_BASE_URL / _MODEL.
    llm_enabled = models.BooleanField(_("language model for questions"), default=False, db_default=False)
    llm_base_url = models.CharField(
        _("language model URL"), max_length=300, blank=True, default="", db_default=""
    )
    llm_model = models.CharField(
        _("language model name"), max_length=100, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


# The built-in roles keep their English names in the database (the API, commands and code use them);
# pages show them in the reader's language. A role the practice named itself shows as named.
BUILTIN_ROLE_LABELS = {
    permissions.OWNER: _("Owner"),
    permissions.THERAPIST: _("Therapist"),
    permissions.ASSISTANT: _("Assistant"),
}


class Role(TenantModel):
    """A named set of permission codes, per workspace. The Owner role always holds every code."""

    name = models.CharField(_("name"), max_length=60)
    permissions = models.JSONField(_("permissions"), default=list)
    is_owner = models.BooleanField(default=False, help_text="The built-in Owner role: all permissions.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="role_unique_name")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name to show: a built-in role's in the active language."""
        return str(BUILTIN_ROLE_LABELS.get(self.name, self.name))

    @property
    def codes(self) -> frozenset[str]:
        return permissions.ALL if self.is_owner else frozenset(self.permissions)

    @property
    def offers_sessions_by_default(self) -> bool:
        """A new member with this role sees clients (Owner, Therapist) unless it has no clinical access."""
        return bool(self.codes & permissions.CLINICAL_ACCESS)


class MembershipQuerySet(TenantQuerySet["Membership"]):
    def active(self) -> Self:
        return self.filter(is_active=True)


MembershipManager = models.Manager.from_queryset(MembershipQuerySet)


class Membership(TenantModel):
    """A user's place in a workspace: their role, and optionally their own working hours.

    This is the "member" every service and selector takes as the actor.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships", db_index=False)
    is_active = models.BooleanField(default=True)
    # Same shape as Workspace.working_hours; null means "the workspace's hours".
    working_hours = models.JSONField(null=True, blank=True)
    color = models.CharField(max_length=7, blank=True)
    # A practitioner: someone clients book sessions with (pickers, calendar filters, free slots; a
    # session's practitioner must offer them). On by default for roles with clinical access (Owner,
    # Therapist), off for the rest (Assistant): `Role.offers_sessions_by_default`.
    offers_sessions = models.BooleanField(_("offers sessions"), default=True, db_default=True)
    # The member's professional details in this practice, printed on the receipts they issue
    # (edited by the member on their profile): "Psicóloga", "CRP 06/123456", a CPF/CNPJ or NPI/EIN.
    profession = models.CharField(_("profession"), max_length=100, blank=True, default="", db_default="")
    registration = models.CharField(
        _("professional registration"), max_length=60, blank=True, default="", db_default=""
    )
    tax_id = models.CharField(_("tax id"), max_length=30, blank=True, default="", db_default="")
    # Telehealth: the member's default video room (administrative; checked by
    # `workspaces.video.clean_video_url`), prefilled into the sessions booked with them. The member
    # edits their own; `members.manage` anyone's (`services.member_update`).
    video_room_url = models.CharField(
        _("video room URL"), max_length=500, blank=True, default="", db_default=""
    )

    objects: ClassVar[MembershipManager] = MembershipManager()
    # How the person acting through this member signed in, for this request: set by the web doors
    # (workspace_page, the API's authentication); None outside a request (commands, the worker).
    # `accounts.signin.require_recent_sign_in` reads it. Not a database field.
    sign_in: SignIn | None = None

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")]
        indexes = [models.Index(fields=["workspace", "role"], name="membership_ws_role")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace_id}"

    @property
    def is_owner(self) -> bool:
        return self.role.is_owner

    def has_perm(self, code: str) -> bool:
        if code not in permissions.ALL:
            raise ValueError(f"Unknown permission code: {code}")
        return self.is_active and code in self.role.codes

    @property
    def display_name(self) -> str:
        return self.user.display_name
