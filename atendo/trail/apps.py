from django.apps import AppConfig


class TrailConfig(AppConfig):
    """The audit trail's reading side (page and API), on top of the layers so that every event's
    label can pass the clinical redaction; `atendo.audit` keeps the model and `audit_record`."""

    name = "atendo.trail"
    label = "trail"
