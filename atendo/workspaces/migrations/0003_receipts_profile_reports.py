"""Receipts and reports: the practice's address and the client field holding a client's tax id
(workspace settings), a member's professional details (profession, registration, tax id), and the
`reports.read` permission.

`reports.read` joins the catalogue: Owner roles hold every permission (`Role.codes`), and the code is
added to their stored list too, as `0002` did for `client.assign`; no other role gets it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

CODE = "reports.read"


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("workspaces", "Role")
    for role in Role.objects.filter(is_owner=True).iterator():
        if CODE not in (role.permissions or []):
            role.permissions = sorted({*(role.permissions or []), CODE})
            role.save(update_fields=["permissions"])


def revoke(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("workspaces", "Role")
    for role in Role.objects.all().iterator():
        if CODE in (role.permissions or []):
            role.permissions = [c for c in role.permissions if c != CODE]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("workspaces", "0002_role_client_assign")]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="address",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="practice address"),
        ),
        migrations.AddField(
            model_name="workspace",
            name="client_tax_id_field",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=64, verbose_name="client tax id field"
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="profession",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=100, verbose_name="profession"
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="registration",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=60, verbose_name="professional registration"
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="tax_id",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=30, verbose_name="tax id"
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
