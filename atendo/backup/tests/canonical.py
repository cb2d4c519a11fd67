"""An archive's content with its ids replaced by stable keys (each row's rank in its table), so two
archives of the same practice compare equal table by table whatever ids their databases gave."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from atendo.backup import codec, remap
from atendo.backup.tables import TABLES

# What legitimately differs between an archive and the archive of its restore.
DROPPED = {
    "audit_events": {"prev_hash", "hash"},  # the chain is linked again in the new workspace
    "sessions": {"signature_hash"},  # stamped again over the new ids (it must verify: tested)
    "form_requests": {"token_hash"},  # a restored form is a record; its link stays with the original
}


def read(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        tables = {t.name: [json.loads(line) for line in archive.read(t.member).splitlines()] for t in TABLES}
        files = {name: archive.read(name) for name in manifest["files"]}
    return manifest, tables, files


def canonical(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], list[bytes]]:
    manifest, tables, files = read(path)
    ranks = remap.Maps(
        {name: {row["id"]: rank for rank, row in enumerate(rows)} for name, rows in tables.items()}
    )
    specs = remap.specs_of(tables["field_definitions"])
    by_model = {t.model: t.name for t in TABLES}
    out: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        model = table.model_class
        fks = {
            f.attname: by_model.get(f.related_model._meta.label)  # type: ignore[union-attr]
            for f in codec.columns(model)
            if f.is_relation
        }
        rows = []
        for row in tables[table.name]:
            row = dict(row)
            for name in table.late:
                row[name] = remap.late_value(table.name, row, name, ranks, specs)
            for attname, target in fks.items():
                if row.get(attname) is not None and target is not None:
                    row[attname] = ranks.ids[target][row[attname]]
            row["id"] = ranks.ids[table.name][row["id"]]
            if table.name == "attachments":
                row["storage_name"] = ""
            if table.name in ("data_requests", "audit_event_clients"):
                row["client_id"] = ranks.client(row["client_id"])
            if table.name == "audit_events":
                row["client_id"] = ranks.client(row.get("client_id"))
                row["changes"] = remap.audit_changes(row.get("changes"), ranks, row["action"])
                row["object_id"] = (
                    ""
                    if row["object_type"] == "workspace"
                    else remap.audit_object_id(row["object_type"], row["object_id"], ranks)
                )
            for name in DROPPED.get(table.name, ()):
                row.pop(name, None)
            rows.append(row)
        out[table.name] = rows
    workspace = {k: v for k, v in manifest["workspace"].items() if k != "slug"}
    return workspace, out, [files[f"files/{old}"] for old in sorted(ranks.ids["attachments"])]


def assert_same_content(first: Path, second: Path) -> None:
    """The two archives hold the same practice: equal table by table once ids are stable keys; the
    second (of the restore) has the restore's own audit events after the first's history."""
    workspace_a, tables_a, files_a = canonical(first)
    workspace_b, tables_b, files_b = canonical(second)
    assert workspace_a == workspace_b
    for table in TABLES:
        a, b = tables_a[table.name], tables_b[table.name]
        if table.name == "audit_events":
            assert b[: len(a)] == a
            assert [e["action"] for e in b[len(a) :]] == ["backup.import"]
        elif table.name == "audit_event_clients":
            assert b[: len(a)] == a
        else:
            assert b == a, table.name
    assert files_a == files_b
