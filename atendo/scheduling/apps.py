from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "atendo.scheduling"
    label = "scheduling"
