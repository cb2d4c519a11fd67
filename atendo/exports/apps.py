from __future__ import annotations

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "atendo.exports"
    label = "exports"

    def ready(self) -> None:
        # Imported here, not at the top: models may load only once the apps are ready.
        from atendo.exports import kinds
        from atendo.exports.client.kind import CLIENT_KIND

        # The client record is this app's own kind; others (the workspace backup) register theirs
        # in their own AppConfig.ready() the same way.
        kinds.register(CLIENT_KIND)
