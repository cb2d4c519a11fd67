from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "atendo.evaluations"
    label = "evaluations"

    def ready(self) -> None:
        # Imported here, not at the top: models may load only once the apps are ready.
        from atendo.evaluations.selectors import evaluation_values_exist, evaluation_values_reseal
        from atendo.fields import registry
        from atendo.fields.models import Scope

        registry.register_values_exist(Scope.EVALUATION, evaluation_values_exist)
        registry.register_values_reseal(Scope.EVALUATION, evaluation_values_reseal)
