from django.apps import AppConfig


class TherapiesConfig(AppConfig):
    name = "atendo.therapies"
    label = "therapies"

    def ready(self) -> None:
        # Imported here, not at the top: models may load only once the apps are ready.
        from atendo.fields import registry
        from atendo.therapies.selectors import therapy_type_name

        registry.register_therapy_types(therapy_type_name)
