from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "atendo.clinical"
    label = "clinical"

    def ready(self) -> None:
        from atendo.clinical import checks  # noqa: F401  (registers atendo.E010)
