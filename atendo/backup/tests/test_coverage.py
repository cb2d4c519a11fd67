"""Every model of the project is in the archive, or left out on purpose with its reason: a model
added later fails here until its author says which."""

from __future__ import annotations

from django.apps import apps

from atendo.backup.tables import NOT_BACKED_UP, TABLES, backed_up_models


def project_models() -> set[str]:
    return {
        m._meta.label
        for m in apps.get_models()
        if m.__module__.startswith("atendo.") and not m._meta.abstract and not m._meta.proxy
    }


def test_every_model_is_backed_up_or_left_out_with_a_reason():
    missing = project_models() - backed_up_models() - set(NOT_BACKED_UP)
    assert missing == set(), (
        "add these models to atendo/backup/tables.py: TABLES (in insertion order) or NOT_BACKED_UP "
        "with the reason"
    )


def test_nothing_is_both_backed_up_and_left_out_and_every_entry_is_a_model():
    assert backed_up_models() & set(NOT_BACKED_UP) == set()
    assert (backed_up_models() | set(NOT_BACKED_UP)) <= project_models()
    assert all(reason.strip() for reason in NOT_BACKED_UP.values())


def test_every_foreign_key_points_to_a_table_inserted_before_it():
    order = {t.model: i for i, t in enumerate(TABLES)}
    for i, table in enumerate(TABLES):
        for f in table.model_class._meta.concrete_fields:
            if not f.is_relation or f.attname == "workspace_id":
                continue
            target = f.related_model._meta.label  # type: ignore[union-attr]
            assert target in order, f"{table.name}.{f.attname} points to {target}, not in the archive"
            assert order[target] <= i, f"{table.name}.{f.attname}: {target} is inserted later"
