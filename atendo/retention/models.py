"""Retention and anonymisation: the workspace's retention policy and the log of data-subject
requests (LGPD art. 18) and of what the retention rule did (purges). See docs/retention.md.

Neither table holds a client's name, contact or any clinical content: the log names a client by
id only (a plain id, since the log outlives the client), and its details are counts and field keys.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel

DEFAULT_YEARS = 5
# CFP Resolução 001/2009, art. 4: psychological records are kept at least five years.
MIN_YEARS = 5
MAX_YEARS = 100


class RetentionPolicy(TenantModel):
    """How long a client's record is kept after their last session, and which custom client fields
    identify the client (cleared by an erasure). A workspace without a row has the defaults."""

    years = models.PositiveSmallIntegerField(_("retention period (years)"), default=DEFAULT_YEARS)
    # Keys of client field definitions an erasure clears (the workspace's tax id field always is).
    identifying_fields = models.JSONField(_("identifying client fields"), default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="retention_policy_one_per_ws")]

    def __str__(self) -> str:
        return f"{self.years} years"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access to the record")
    PORTABILITY = "portability", _("Copy / portability")
    CORRECTION = "correction", _("Correction")
    ERASURE = "erasure", _("Erasure (anonymisation)")
    OTHER = "other", _("Other")
    # Not a request: what the retention rule did when the period ended.
    PURGE = "purge", _("Purge at the end of retention")


# The kinds a member records by hand; erasure and purge are recorded by their services.
RECORDED_KINDS = (RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.CORRECTION, RequestKind.OTHER)


class AskedBy(models.TextChoices):
    CLIENT = "client", _("The client")
    REPRESENTATIVE = "representative", _("A legal representative")
    AUTHORITY = "authority", _("An authority (court, ANPD, council)")
    RETENTION = "retention", _("The retention rule")


class RequestStatus(models.TextChoices):
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class DataRequest(TenantModel):
    """One data-subject request and what was done about it, or one purge."""

    client_id = models.BigIntegerField(_("client"))
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    asked_by = models.CharField(_("asked by"), max_length=20, choices=AskedBy.choices)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices)
    # When the request arrived (LGPD art. 19: answered within 15 days); a purge's own day.
    received_on = models.DateField(_("received on"))
    # Who recorded or carried it out; NULL: the system (the periodic purge).
    recorded_by = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # What was done, as keys and counts: {"cleared": ["name", "fields.cpf"], "sessions": 12, ...}.
    details = models.JSONField(default=dict, blank=True)
    # The member's note on what was done (never the client's data: the form says so).
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-id"], name="datarequest_ws_id"),
            models.Index(fields=["workspace", "client_id", "kind"], name="datarequest_ws_client"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} (client {self.client_id})"
