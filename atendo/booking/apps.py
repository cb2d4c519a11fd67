from __future__ import annotations

from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "atendo.booking"
    label = "booking"

    def ready(self) -> None:
        from atendo.booking.api import register_settings_section

        register_settings_section()
