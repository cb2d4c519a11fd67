from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "atendo.audit"
    label = "audit"

    def ready(self) -> None:
        # The append-only triggers, (re)installed after every migrate (see `audit.guards`).
        from atendo.audit import guards

        post_migrate.connect(guards.post_migrate, sender=self, dispatch_uid="audit_guards")
