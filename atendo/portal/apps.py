from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "atendo.portal"
    label = "portal"
