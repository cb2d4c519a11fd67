"""Attendance: no-show status, cancellations (who, why, when, late), confirmations; who acted in a
status change when no member did. Sessions already cancelled were cancelled by the practice (the
only way there was: a member changing the status), never late."""

import django.db.models.deletion
from django.db import migrations, models


def cancelled_by_the_practice(apps, schema_editor):
    Session = apps.get_model("scheduling", "Session")
    Session.objects.filter(status="cancelled", cancelled_by="").update(
        cancelled_by="practice", cancelled_at=models.F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_session_duration_max_day"),
        ("workspaces", "0004_workspace_cancellation_window_hours_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="session",
            name="cancellation_late",
            field=models.BooleanField(db_default=False, default=False, verbose_name="late cancellation"),
        ),
        migrations.AddField(
            model_name="session",
            name="cancellation_reason",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=500, verbose_name="cancellation reason"
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="cancelled at"),
        ),
        migrations.AddField(
            model_name="session",
            name="cancelled_by",
            field=models.CharField(
                blank=True,
                choices=[("client", "Client"), ("practice", "Practice")],
                db_default="",
                default="",
                max_length=10,
                verbose_name="cancelled by",
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="confirmed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="confirmed at"),
        ),
        migrations.AddField(
            model_name="session",
            name="confirmed_by",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="workspaces.membership",
            ),
        ),
        migrations.AddField(
            model_name="sessionstatuschange",
            name="actor_label",
            field=models.CharField(blank=True, db_default="", default="", max_length=100),
        ),
        migrations.AlterField(
            model_name="session",
            name="status",
            field=models.CharField(
                choices=[
                    ("scheduled", "Scheduled"),
                    ("in_progress", "In progress"),
                    ("completed", "Completed"),
                    ("cancelled", "Cancelled"),
                    ("no_show", "No-show"),
                ],
                default="scheduled",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(cancelled_by_the_practice, migrations.RunPython.noop),
    ]
