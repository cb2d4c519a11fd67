from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "atendo.clients"
    label = "clients"
