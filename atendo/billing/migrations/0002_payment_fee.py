"""Payments say when they are a no-show or late-cancellation fee (the attendance rule charges them)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="fee",
            field=models.CharField(
                blank=True,
                choices=[("no_show", "No-show fee"), ("late_cancel", "Late cancellation fee")],
                db_default="",
                default="",
                max_length=20,
                verbose_name="fee",
            ),
        ),
    ]
