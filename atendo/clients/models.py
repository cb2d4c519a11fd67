"""Clients (patients) of a practice and the practitioners assigned to them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from atendo.core.models import TenantModel


class Client(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    archived = models.BooleanField(_("archived"), default=False)
    # Custom client field values by definition key, validated by the field engine.
    fields = models.JSONField(default=dict, blank=True)
    # The phone's digits only, so "98765 4321" finds "+55 (11) 98765-4321". Kept by save().
    phone_digits = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "archived", "name"], name="client_ws_archived_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_digits = "".join(ch for ch in self.phone or "" if ch.isdigit())
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_digits"}
        super().save(*args, **kwargs)
