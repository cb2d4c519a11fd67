from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "atendo.billing"
    label = "billing"
