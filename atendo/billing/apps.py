from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedule_overdue_task(sender: Any, **kwargs: Any) -> None:
    """After `migrate`, make sure the hourly overdue-payments task is queued (once)."""
    from atendo.billing.tasks import ensure_scheduled

    ensure_scheduled()


class BillingConfig(AppConfig):
    name = "atendo.billing"
    label = "billing"

    def ready(self) -> None:
        post_migrate.connect(_schedule_overdue_task, sender=self, dispatch_uid="billing_schedule_overdue")
