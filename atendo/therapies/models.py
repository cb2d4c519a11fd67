"""Therapy types: Reiki, Family Constellation, physiotherapy… with defaults and their own fields."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class TherapyType(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    color = models.CharField(_("colour"), max_length=7, default="#4f7cac")
    default_duration_minutes = models.PositiveIntegerField(
        _("default duration (minutes)"), null=True, blank=True
    )
    default_price = models.DecimalField(
        _("default price"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="therapytype_unique_name")]

    def __str__(self) -> str:
        return self.name
