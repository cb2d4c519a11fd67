"""Online booking: a workspace's settings, and each booking a client made on the public page.

- `BookingSettings`: one row per workspace (made on first use), off until the owner turns it on:
  which therapy types and practitioners are bookable, the minimum notice, how far ahead, the buffer
  kept free around each session, and whether clients not yet in the practice may book.
- `Booking`: the provenance of a session booked online, and the state of its e-mail confirmation.
  The session itself is an ordinary scheduled session (made by the scheduling service); the
  booking row says it came from the public page, for which e-mail address, and whether that
  address was confirmed in time (`confirmed_at`) or the hold lapsed (`expired_at`: the session was
  cancelled by the expiry task). Nothing clinical is ever stored here.
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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="booking_settings_one_per_ws")]

    def __str__(self) -> str:
        return "Online booking"


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

    class Meta:
        indexes = [
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
