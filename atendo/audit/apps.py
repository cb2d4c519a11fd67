from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "atendo.audit"
    label = "audit"
