from __future__ import annotations

from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "atendo.backup"
    label = "backup"

    def ready(self) -> None:
        # Imported here, not at the top: models may load only once the apps are ready.
        from atendo.backup.kind import WORKSPACE_KIND
        from atendo.exports import kinds

        kinds.register(WORKSPACE_KIND)
