from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "atendo.core"
