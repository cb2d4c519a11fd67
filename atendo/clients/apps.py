from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "atendo.clients"
    label = "clients"

    def ready(self) -> None:
        # Imported here, not at the top: models may load only once the apps are ready.
        from atendo.clients.selectors import client_values_exist, client_values_reseal
        from atendo.fields import registry
        from atendo.fields.models import Scope

        registry.register_values_exist(Scope.CLIENT, client_values_exist)
        registry.register_values_reseal(Scope.CLIENT, client_values_reseal)
