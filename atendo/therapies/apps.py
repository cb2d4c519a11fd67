from django.apps import AppConfig


class TherapiesConfig(AppConfig):
    name = "atendo.therapies"
    label = "therapies"
