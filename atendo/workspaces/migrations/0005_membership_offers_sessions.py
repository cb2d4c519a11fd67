"""Members carry "offers sessions": on for roles with clinical access (Owner, Therapist), off for the
others (Assistant), so pickers and the free-slot finder list practitioners only."""

from django.db import migrations, models

CLINICAL_ACCESS = {"clinical.read_own", "clinical.read_all"}


def set_from_roles(apps, schema_editor):
    Membership = apps.get_model("workspaces", "Membership")
    Role = apps.get_model("workspaces", "Role")
    without = [
        role.pk
        for role in Role.objects.all().only("pk", "is_owner", "permissions")
        if not role.is_owner and not CLINICAL_ACCESS & set(role.permissions or [])
    ]
    Membership.objects.filter(role_id__in=without).update(offers_sessions=False)


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0004_workspace_cancellation_window_hours_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="offers_sessions",
            field=models.BooleanField(db_default=True, default=True, verbose_name="offers sessions"),
        ),
        migrations.RunPython(set_from_roles, migrations.RunPython.noop),
    ]
