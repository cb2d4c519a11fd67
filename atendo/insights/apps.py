from __future__ import annotations

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "atendo.insights"
    label = "insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from atendo.clinical import changes
        from atendo.insights import search

        # Every write of clinical content reindexes its record (the services call `content_changed`).
        changes.register("insights.search", search.reindex_changed)
