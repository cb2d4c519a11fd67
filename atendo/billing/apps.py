from __future__ import annotations

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "atendo.billing"
    label = "billing"

    def ready(self) -> None:
        # Imported here, not at the top: models may load only once the apps are ready.
        from atendo.billing.fees import BillingFees
        from atendo.scheduling import hooks

        # No-show and late-cancellation fees are payments (scheduling's attendance rule asks).
        hooks.register_fees(BillingFees())
