"""Sessions (appointments), recurring series and the status history."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.clinical import crypto
from atendo.clinical.fields import SealedTextField
from atendo.core.models import TenantModel

PHASES = ("pre", "during", "post")
# The limits of a session's own values, checked once in `scheduling.services.common` for every door
# (API, pages, recording, imports); forms and schemas only repeat them as input hints.
MAX_DURATION_MINUTES = 24 * 60
MAX_NAME_LENGTH = 200
# Session notes and admin notes (and, later, private notes and addenda).
MAX_NOTES_LENGTH = 100_000


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class CancelledBy(models.TextChoices):
    """Who called a session off: the client (a late one may cost a fee) or the practice."""

    CLIENT = "client", _("Client")
    PRACTICE = "practice", _("Practice")


# A cancellation's reason (administrative text, like admin notes; never shown to other clients).
MAX_CANCELLATION_REASON_LENGTH = 500


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

    name = models.CharField(_("name"), max_length=MAX_NAME_LENGTH)
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
    # Clinical: sealed at rest (`clinical.crypto`, written through `scheduling.sealing`); the column
    # refuses plaintext.
    notes = SealedTextField(_("session notes"), blank=True)
    admin_notes = models.TextField(_("admin notes"), blank=True)  # administrative
    # Telehealth: the session's video-call link (administrative, like the admin notes: the front
    # desk sends it; reminders and the calendar feed carry it). Checked by
    # `workspaces.video.clean_video_url`; a new session takes its practitioner's default room.
    video_url = models.CharField(_("video link"), max_length=500, blank=True, default="", db_default="")
    # Filled when the session is recorded: how long it really took, and when.
    actual_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    # Sign and lock (`recording.signing`): who signed the clinical record, when, and the SHA-256 of
    # the canonical serialisation of what was signed (`SIGNED_COLUMNS` and the clinical attachments,
    # with who and when). From then on the signed record never changes: corrections are addenda.
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    signature_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
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
    # Attendance (`scheduling.services.attendance` owns the rule): filled while the status is
    # cancelled, cleared when it leaves it. `cancellation_late`: the client cancelled inside the
    # workspace's cancellation window (computed once, when it was cancelled).
    # (Database defaults too, so rows written in bulk by SQL, e.g. `seed_bench`, need not name them.)
    cancellation_reason = models.CharField(
        _("cancellation reason"),
        max_length=MAX_CANCELLATION_REASON_LENGTH,
        blank=True,
        default="",
        db_default="",
    )
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True, default="", db_default=""
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_late = models.BooleanField(_("late cancellation"), default=False, db_default=False)
    # When the client confirmed they will come (a reminder's link) or a member marked it confirmed
    # (`confirmed_by`, null when the client did); cleared when the session moves.
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "starts_at"], name="session_ws_start"),
            models.Index(fields=["workspace", "practitioner", "starts_at"], name="session_ws_pract_start"),
            models.Index(fields=["workspace", "client", "starts_at"], name="session_ws_client_start"),
            models.Index(fields=["workspace", "series", "starts_at"], name="session_ws_series_start"),
            # Notes to sign (`selectors.sessions_to_sign`, latest first): completed and not signed,
            # of one practitioner or of everyone. Without them the scan starts at the last booking
            # ahead and reads every scheduled session before reaching a completed one.
            models.Index(
                fields=["workspace", "practitioner", "starts_at"],
                name="session_unsigned_pract",
                condition=models.Q(status="completed", signed_at__isnull=True),
            ),
            models.Index(
                fields=["workspace", "starts_at"],
                name="session_unsigned",
                condition=models.Q(status="completed", signed_at__isnull=True),
            ),
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
    # Who acted when no member did, e.g. "client (reminder link)".
    actor_label = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "session", "created_at"], name="statuschange_ws_session")
        ]


# What a signature covers and locks, besides the clinical attachments (`recording.signing`): the
# clinical record (notes, during and post values, therapy fields) and the encounter it documents
# (client, practitioner, therapy type, time, duration, status). Name, admin notes, pre-session
# values, payment and administrative attachments stay editable.
SIGNED_COLUMNS = (
    "client_id",
    "practitioner_id",
    "therapy_type_id",
    "starts_at",
    "duration_minutes",
    "actual_duration_minutes",
    "status",
    "notes",
    "during_fields",
    "post_fields",
    "therapy_fields",
)


class SessionAddendum(TenantModel):
    """A correction to a signed session's record (text, author, time), shown in order under its notes.
    Clinical content, like the notes; never edited nor deleted (it goes only with its session)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="addenda", db_index=False)
    author = models.ForeignKey(
        "workspaces.Membership", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    text = SealedTextField(_("addendum"))  # sealed at rest like the notes (ADDENDUM_TEXT)

    class Meta:
        indexes = [models.Index(fields=["workspace", "session", "created_at"], name="addendum_ws_session")]

    def __str__(self) -> str:
        return f"addendum {self.pk} to session {self.session_id}"


class SessionPrivateNote(TenantModel):
    """A practitioner's private note on a session (psychotherapy notes, "my eyes only"): readable and
    writable by its author alone, never by the owner, an export, insights or search; not part of the
    signed record. One per author and session; `version` guards concurrent edits."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+", db_index=False)
    author = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    text = SealedTextField(_("private note"))  # sealed at rest (PRIVATE_NOTE_TEXT)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "session", "author"], name="privatenote_unique")
        ]
        indexes = [models.Index(fields=["workspace", "author", "session"], name="privatenote_ws_author")]

    def __str__(self) -> str:
        return f"private note {self.pk} on session {self.session_id}"


# Sealed like the notes (`clinical.crypto`): declared so key rotation and the checks know them.
ADDENDUM_TEXT = crypto.register_column(crypto.SealedColumn("scheduling_sessionaddendum", "text", "text"))
PRIVATE_NOTE_TEXT = crypto.register_column(
    crypto.SealedColumn("scheduling_sessionprivatenote", "text", "text")
)
