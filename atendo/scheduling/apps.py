from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "atendo.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # Imported here, not at the top: models may load only once the apps are ready.
        from atendo.fields import registry
        from atendo.fields.models import Scope
        from atendo.scheduling.sealing import session_values_reseal
        from atendo.scheduling.selectors import session_values_exist

        # Sessions store both their phases' values and their therapy type's.
        registry.register_values_exist(Scope.SESSION, session_values_exist)
        registry.register_values_exist(Scope.THERAPY_TYPE, session_values_exist)
        registry.register_values_reseal(Scope.SESSION, session_values_reseal)
