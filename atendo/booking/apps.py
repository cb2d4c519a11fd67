from __future__ import annotations

from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "atendo.booking"
    label = "booking"
