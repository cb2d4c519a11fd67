"""Sessions (appointments), recurring series and the status history."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel

PHASES = ("pre", "during", "post")
MAX_DURATION_MINUTES = 24 * 60


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class SessionSeries(TenantModel):
    """A recurring series (RFC 5545 RRULE) whose occurrences are ordinary sessions."""

    rrule = models.CharField(max_length=500)
    # Local wall-clock start of the first occurrence, in the workspace time zone at creation.
    dtstart_local = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    def __str__(self) -> str:
        return f"{self.rrule} from {self.dtstart_local:%Y-%m-%d %H:%M}"


class Session(TenantModel):
    """One appointment with a client. `ends_at` is stored (start + duration) so ranges use an index."""

    name = models.CharField(_("name"), max_length=200)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="sessions", db_index=False
    )
    practitioner = models.ForeignKey(
        "workspaces.Membership", on_delete=models.PROTECT, related_name="sessions", db_index=False
    )
    therapy_type = models.ForeignKey(
        "therapies.TherapyType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        db_index=False,
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    status = models.CharField(
        _("status"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    # Custom field values per phase, each its own column so saving one phase never touches another.
    pre_fields = models.JSONField(default=dict, blank=True)
    during_fields = models.JSONField(default=dict, blank=True)
    post_fields = models.JSONField(default=dict, blank=True)
    therapy_fields = models.JSONField(default=dict, blank=True)
    notes = models.TextField(_("session notes"), blank=True)  # clinical
    admin_notes = models.TextField(_("admin notes"), blank=True)  # administrative
    # Recording (seed 002): actual duration and when the session was recorded.
    actual_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    series = models.ForeignKey(
        SessionSeries,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        db_index=False,
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "starts_at"], name="session_ws_start"),
            models.Index(fields=["workspace", "practitioner", "starts_at"], name="session_ws_pract_start"),
            models.Index(fields=["workspace", "client", "starts_at"], name="session_ws_client_start"),
            models.Index(fields=["workspace", "series", "starts_at"], name="session_ws_series_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1), name="session_duration_positive"
            ),
            # A session never spans more than a day: the range query relies on it (see selectors).
            models.CheckConstraint(
                condition=models.Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="session_duration_max_day",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def phase_values(self, phase: str) -> dict:
        return getattr(self, f"{phase}_fields")


class SessionStatusChange(TenantModel):
    """Every status change, with who and when."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="status_changes", db_index=False
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    changed_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "session", "created_at"], name="statuschange_ws_session")
        ]
