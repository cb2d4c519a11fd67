"""ClientPractitioner, moved here from `clients` (state only: the table keeps its name)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("clients", "0003_clientpractitioner_to_clinical"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClientPractitioner",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "client",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="assignments",
                                to="clients.client",
                            ),
                        ),
                        (
                            "member",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="client_assignments",
                                to="workspaces.membership",
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="workspaces.workspace",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "clients_clientpractitioner",
                        "indexes": [
                            models.Index(
                                fields=["workspace", "member", "client"], name="clientpract_ws_member"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("workspace", "client", "member"), name="clientpractitioner_unique"
                            )
                        ],
                    },
                )
            ],
            database_operations=[],
        )
    ]
