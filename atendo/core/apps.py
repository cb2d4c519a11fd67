from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "atendo.core"

    def ready(self) -> None:
        # Imported here, not at the top: they read models, which exist only once apps are loaded.
        from atendo.core import (
            checks,  # noqa: F401  (registers the system checks)
            periodic,
        )

        periodic.autodiscover()
        periodic.connect_signals(self)
