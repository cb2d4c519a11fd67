from django.apps import AppConfig


class FieldsConfig(AppConfig):
    name = "atendo.fields"
    label = "fields"
