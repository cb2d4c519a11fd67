"""Encryption at rest: seal the clinical content a database already holds in plaintext (notes,
clinical field values, therapy fields, evaluations, clinical attachment names and files), with a
data key per workspace wrapped by the master key (`clinical.crypto`). New databases hold none.

Not atomic as a whole: each batch commits on its own (`clinical.rotation.seal_plaintext`), so an
interrupted run resumes where it stopped; then SQLite is vacuumed, so its free pages and WAL keep
no copy of the old text.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from atendo.clinical.rotation import seal_plaintext, vacuum_if_sqlite


def seal_existing(apps: Any, schema_editor: Any) -> None:
    counts = seal_plaintext(apps=apps)
    if counts.rows:
        vacuum_if_sqlite(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("clinical", "0002_workspacekey"),
        ("clients", "0003_clientpractitioner_to_clinical"),
        ("evaluations", "0002_sealed_names"),
        ("fields", "0001_initial"),
        ("files", "0002_sealed_names"),
        ("scheduling", "0002_session_duration_max_day"),
    ]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=True)]
