"""Workspaces (practices), their roles and memberships."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel, TenantQuerySet
from atendo.workspaces import permissions

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Role(TenantModel):
    """A named set of permission codes, per workspace. The Owner role always holds every code."""

    name = models.CharField(_("name"), max_length=60)
    permissions = models.JSONField(_("permissions"), default=list)
    is_owner = models.BooleanField(default=False, help_text="The built-in Owner role: all permissions.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="role_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def codes(self) -> frozenset[str]:
        return permissions.ALL if self.is_owner else frozenset(self.permissions)


class MembershipQuerySet(TenantQuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)


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

    objects: Any = MembershipQuerySet.as_manager()  # type: ignore[misc]

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
