from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "atendo.files"
    label = "files"

    def ready(self) -> None:
        # Imported here, not at the top: models and services may load only once the apps are ready.
        from atendo.fields import registry
        from atendo.files import signals  # noqa: F401  (connects the file clean-up on delete)
        from atendo.files.services import FieldAttachments

        registry.register_attachments(FieldAttachments())
