"""The audit log becomes a hash chain per workspace (`audit.chain`), with the clients each read event
touched (`AuditEventClient`). Events written before this are chained in the order they happened.

The append-only triggers are installed after every migrate by `audit.guards` (post_migrate).
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from atendo.audit.chain import GENESIS, HASHED, as_stored, event_hash


def chain_existing(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    workspaces = AuditEvent.objects.values_list("workspace_id", flat=True).distinct()
    for workspace_id in list(workspaces):
        prev = GENESIS
        events = AuditEvent.objects.filter(workspace_id=workspace_id).order_by("at", "id")
        for seq, event in enumerate(events.iterator(), start=1):
            values = {name: getattr(event, name) for name in HASHED}
            values["seq"] = seq
            values["changes"] = as_stored(event.changes)
            digest = event_hash(prev, values)
            AuditEvent.objects.filter(pk=event.pk).update(
                seq=seq, prev_hash=prev, hash=digest, changes=values["changes"]
            )
            prev = digest


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_event_label_client"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("workspace", "seq"), name="audit_ws_seq_unique"),
        ),
        migrations.CreateModel(
            name="AuditEventClient",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("client_id", models.BigIntegerField()),
                ("at", models.DateTimeField()),
                (
                    "event",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="client_rows",
                        to="audit.auditevent",
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
                "indexes": [
                    models.Index(fields=["workspace", "client_id", "-at"], name="auditclient_ws_client_at")
                ],
            },
        ),
    ]
