"""`client.assign` joins the catalogue: which existing roles get it.

Before it, any role with `client.update` could assign practitioners (and anyone booking a session
assigned its practitioner). Roles keep what they could legitimately do:
- Owner roles hold every permission (the code is added to their stored list too);
- roles that could never widen their own clinical access by assigning — they read everything
  (`clinical.read_all`) or read nothing (no `clinical.read_own`: a front desk) — used it to
  delegate, so they keep it;
- roles whose only clinical permission is `clinical.read_own` (the Therapist role) do not get it:
  for them assigning was the hole itself (making oneself a reader of a colleague's client).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

CODE = "client.assign"


def keeps_assigning(role: Any) -> bool:
    codes = set(role.permissions or [])
    if role.is_owner:
        return True
    if "client.update" not in codes:
        return False
    return "clinical.read_all" in codes or "clinical.read_own" not in codes


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("workspaces", "Role")
    for role in Role.objects.all().iterator():
        if keeps_assigning(role) and CODE not in (role.permissions or []):
            role.permissions = sorted({*(role.permissions or []), CODE})
            role.save(update_fields=["permissions"])


def revoke(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("workspaces", "Role")
    for role in Role.objects.all().iterator():
        if CODE in (role.permissions or []):
            role.permissions = [c for c in role.permissions if c != CODE]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("workspaces", "0001_initial")]

    operations = [migrations.RunPython(grant, revoke)]
