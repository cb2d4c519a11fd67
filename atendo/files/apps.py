from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "atendo.files"
    label = "files"
