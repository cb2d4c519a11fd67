"""Online booking: a workspace's settings, and each booking a client made on the public page.

- `BookingSettings`: one row per workspace (made on first use), off until the owner turns it on:
  which therapy types and practitioners are bookable, the minimum notice, how far ahead, the buffer
  kept free around each session, and whether clients not yet in the practice may book.
- `Booking`: the provenance of a session booked online, and the state of its e-mail confirmation.
  The session itself is an ordinary scheduled session (made by the scheduling service); the
  booking row says it came from the public page, for which e-mail address, and whether that
  address was confirmed in time (`confirmed_at`) or the hold lapsed (`expired_at`: the session was
  cancelled by the expiry task). With `needs_approval`, `approval` is `requested` until a member
  accepts or declines it (`decided_by`, `decided_at`, `decline_reason`). Nothing clinical is ever
  stored here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel

DEFAULT_LEAD_MINUTES = 24 * 60
DEFAULT_HORIZON_DAYS = 60


class BookingSettings(TenantModel):
    enabled = models.BooleanField(_("online booking"), default=False)
    # Ids of the bookable therapy types and practitioners (members who offer sessions); each is
    # checked against the workspace when saved and again when read (a removed one drops out).
    therapy_type_ids = models.JSONField(_("bookable therapy types"), default=list, blank=True)
    practitioner_ids = models.JSONField(_("bookable practitioners"), default=list, blank=True)
    lead_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=DEFAULT_LEAD_MINUTES)
    horizon_days = models.PositiveIntegerField(_("how far ahead (days)"), default=DEFAULT_HORIZON_DAYS)
    buffer_minutes = models.PositiveIntegerField(_("buffer between sessions (minutes)"), default=0)
    new_clients = models.BooleanField(_("new clients may book"), default=True)
    # On: a booking holds its slot as a request until a member accepts or declines it.
    needs_approval = models.BooleanField(_("bookings need approval"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="booking_settings_one_per_ws")]

    def __str__(self) -> str:
        return "Online booking"


class Approval(models.TextChoices):
    NOT_NEEDED = "not_needed", _("not needed")
    REQUESTED = "requested", _("requested")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


class Booking(TenantModel):
    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="online_booking", db_index=False
    )
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False)
    email = models.EmailField(_("e-mail"))
    # The language the client booked in: their e-mails use it.
    language = models.CharField(max_length=10, default="en")
    new_client = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # With `needs_approval`: requested until a member accepts or declines (who, when, why).
    approval = models.CharField(max_length=12, choices=Approval.choices, default=Approval.NOT_NEEDED)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    decline_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            # The requests page: the open requests, soonest booked first.
            models.Index(
                fields=["workspace", "created_at"],
                name="booking_requested",
                condition=models.Q(approval="requested"),
            ),
            models.Index(fields=["workspace", "session"], name="booking_ws_session"),
            models.Index(fields=["workspace", "client"], name="booking_ws_client"),
            # The expiry task's scan: the holds still waiting for their confirmation.
            models.Index(
                fields=["workspace", "created_at"],
                name="booking_pending",
                condition=models.Q(confirmed_at__isnull=True, expired_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Online booking {self.pk}"
