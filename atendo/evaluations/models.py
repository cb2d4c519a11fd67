"""Evaluations: forms built from the workspace's evaluation fields, filled for a client and
optionally linked to one of their sessions. Clinical by default: a reader without clinical access
to the client never receives a clinical evaluation at all."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class Evaluation(TenantModel):
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="evaluations", db_index=False
    )
    session = models.ForeignKey(
        "scheduling.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
        db_index=False,
    )
    # A clinical evaluation's title is sealed (`clinical.crypto`; at most 200 characters before):
    # read it through `evaluations_to_json` or, for its writer, `selectors.evaluation_plain`.
    title = models.TextField(_("title"), blank=True)
    date = models.DateField(_("date"))
    # Values by evaluation field key, validated by the field engine (scope "evaluation").
    values = models.JSONField(default=dict, blank=True)
    clinical = models.BooleanField(_("clinical"), default=True)
    performed_by = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "client", "-date"], name="evaluation_ws_client_date"),
            models.Index(fields=["workspace", "session"], name="evaluation_ws_session"),
        ]

    def __str__(self) -> str:
        return self.title or f"Evaluation {self.date:%Y-%m-%d}"

    def audit_clinical_label(self) -> tuple[int | None, bool]:
        """The title of a clinical evaluation is clinical (see `audit.services.ClinicalLabel`)."""
        return self.client_id, self.clinical
