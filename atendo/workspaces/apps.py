from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "atendo.workspaces"
    label = "workspaces"

    def ready(self) -> None:
        # The idle timeout and the MFA requirement are workspace settings; accounts asks through this.
        from atendo.workspaces import security  # an AppConfig.ready() import: models load first

        security.register()
