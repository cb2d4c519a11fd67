from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "atendo.evaluations"
    label = "evaluations"
