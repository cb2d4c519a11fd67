# Partial indexes for the home's notes to sign (completed, not signed; latest first).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_session_video_url"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="session",
            index=models.Index(
                condition=models.Q(("signed_at__isnull", True), ("status", "completed")),
                fields=["workspace", "practitioner", "starts_at"],
                name="session_unsigned_pract",
            ),
        ),
        migrations.AddIndex(
            model_name="session",
            index=models.Index(
                condition=models.Q(("signed_at__isnull", True), ("status", "completed")),
                fields=["workspace", "starts_at"],
                name="session_unsigned",
            ),
        ),
    ]
