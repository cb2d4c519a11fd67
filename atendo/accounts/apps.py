from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "atendo.accounts"
    label = "accounts"
