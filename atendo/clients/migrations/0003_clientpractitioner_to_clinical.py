"""The assignment model moves to the `clinical` app (state only: the table stays as it is)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_client_phone_digits")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="client", name="practitioners"),
                migrations.DeleteModel(name="ClientPractitioner"),
            ],
            database_operations=[],
        )
    ]
