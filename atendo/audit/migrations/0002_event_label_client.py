"""Audit events learn whose record their object belongs to and whether their label is clinical.

Events recorded before this knew neither: those about evaluations and attachments (whose label may
be a clinical title or file name) are marked clinical with no client, so the trail shows them a
neutral label ("Evaluation #12") unless the reader reads all clinical content. Fail closed.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

MAYBE_CLINICAL = ("evaluation", "attachment")


def mark_old_labels(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditEvent.objects.filter(object_type__in=MAYBE_CLINICAL).update(label_clinical=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="client_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="label_clinical",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_old_labels, migrations.RunPython.noop),
    ]
