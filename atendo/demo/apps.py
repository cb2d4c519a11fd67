from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo workspace (`manage.py seed_demo`): sits on top, so it may call every app's seeding."""

    name = "atendo.demo"
    label = "demo"
