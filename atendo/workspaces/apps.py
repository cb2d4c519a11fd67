from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "atendo.workspaces"
    label = "workspaces"
