from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "atendo.files"
    label = "files"

    def ready(self) -> None:
        from atendo.files import signals  # noqa: F401  (connects the file clean-up on delete)
