from django.apps import AppConfig


class RecordingConfig(AppConfig):
    name = "atendo.recording"
    label = "recording"
