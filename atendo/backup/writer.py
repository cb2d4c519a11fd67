"""Write a workspace's archive (docs/backup.md, "Format"), streamed: each table's rows are read in
chunks and written as they come, each attachment's bytes one file at a time; nothing holds a whole
table or file list in memory but ids.

Clinical content is opened (`clinical.crypto`) so that another installation, with its own master
key, can read it: the archive is as sensitive as the records themselves. Which values were sealed
is noted in each row's `$sealed`, so the restore seals exactly those again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.audit import chain
from atendo.backup import codec
from atendo.backup.tables import TABLES, Table
from atendo.clinical import crypto
from atendo.exports.kinds import ExportFailed
from atendo.files.services import attachment_storage
from atendo.recording.signing import signatures_verify
from atendo.scheduling.models import SessionPrivateNote
from atendo.workspaces.models import Workspace

CHUNK = 500
USER_COLUMNS = ("id", "email", "name", "language", "is_active", "date_joined")


def app_version() -> dict[str, str]:
    """The application's version, and the git commit when the code runs from a checkout."""
    out = {"version": ""}
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        out["version"] = importlib.metadata.version("atendo")
    git = Path(settings.BASE_DIR) / ".git"
    with contextlib.suppress(OSError):
        head = (git / "HEAD").read_text().strip()
        commit = (git / head[5:]).read_text().strip() if head.startswith("ref: ") else head
        if commit:
            out["commit"] = commit
    return out


def workspace_values(workspace: Workspace) -> dict[str, Any]:
    return {
        f.attname: codec.encode(getattr(workspace, f.attname))
        for f in Workspace._meta.concrete_fields
        if f.attname != "id"
    }


class _Member:
    """One archive member written as it goes, with its SHA-256."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.name = name
        self.hash = hashlib.sha256()
        self.size = 0
        self._out = archive.open(name, "w", force_zip64=True)

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self.hash.update(data)
        self.size += len(data)

    def close(self) -> dict[str, Any]:
        self._out.close()
        return {"sha256": self.hash.hexdigest(), "size": self.size}


def _rows(workspace: Workspace, table: Table) -> Iterator[dict[str, Any]]:
    model = table.model_class
    if table.name == "users":
        users = model._default_manager.filter(memberships__workspace_id=workspace.pk)
        yield from users.order_by("pk").values(*USER_COLUMNS).iterator(chunk_size=CHUNK)
        return
    names = [f.attname for f in codec.columns(model)]
    order = "seq" if table.name == "audit_events" else "pk"
    rows = model._default_manager.filter(workspace_id=workspace.pk).order_by(order).values(*names)
    yield from rows.iterator(chunk_size=CHUNK)


def _open_row(workspace_id: int, sealed: list[crypto.SealedColumn], row: dict[str, Any]) -> None:
    """Open the row's sealed values in place, noting which they were under `$sealed`."""
    note: dict[str, Any] = {}
    for column in sealed:
        value = row.get(column.column)
        if column.kind == "text" and isinstance(value, str) and crypto.is_token(value):
            row[column.column] = crypto.open_text(workspace_id, column, row["id"], value)
            note[column.column] = True
        elif column.kind == "values" and isinstance(value, dict):
            keys: dict[str, str] = {}
            for key, item in value.items():
                if crypto.is_sealed(item):
                    value[key] = crypto.open_value(workspace_id, column, row["id"], key, item)
                    keys[key] = "blind" if crypto.BLIND in item else "sealed"
            if keys:
                note[column.column] = keys
    if note:
        row[codec.SEALED] = note


def _encode(row: dict[str, Any]) -> dict[str, Any]:
    return {k: codec.encode(v) for k, v in row.items()}


def _write_table(
    archive: zipfile.ZipFile, workspace: Workspace, table: Table, signed_ok: set[int]
) -> dict[str, Any]:
    model = table.model_class
    sealed = [c for c in crypto.COLUMNS if c.table == model._meta.db_table]
    member = _Member(archive, table.member)
    count = 0
    for row in _rows(workspace, table):
        _open_row(workspace.pk, sealed, row)
        if table.name == "attachments":
            # The restore stores the bytes under a new name; the archive names its own member.
            sealed_file = _is_sealed_file(row["storage_name"])
            row["storage_name"] = f"files/{row['id']}"
            if sealed_file:
                row.setdefault(codec.SEALED, {})["storage_name"] = True
        if table.name == "sessions" and row.get("signed_at") is not None:
            row["$signature_verified"] = row["id"] in signed_ok
        member.write(codec.line(_encode(row)))
        count += 1
    return {**member.close(), "member": table.member, "rows": count}


def _is_sealed_file(storage_name: str) -> bool:
    try:
        with attachment_storage().open(storage_name, "rb") as handle:
            return bool(handle.read(len(crypto.FILE_MAGIC)) == crypto.FILE_MAGIC)
    except FileNotFoundError:
        return False


def _write_files(archive: zipfile.ZipFile, workspace: Workspace) -> dict[str, dict[str, Any]]:
    from atendo.files.models import Attachment

    storage = attachment_storage()
    files: dict[str, dict[str, Any]] = {}
    rows = (
        Attachment.objects.for_workspace(workspace)
        .order_by("pk")
        .values_list("pk", "storage_name", "clinical")
        .iterator(chunk_size=CHUNK)
    )
    for pk, storage_name, _clinical in rows:
        try:
            with storage.open(storage_name, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise ExportFailed(
                _("The file of attachment %(id)d is missing from the storage.") % {"id": pk}
            ) from None
        plain = crypto.open_data(workspace.pk, crypto.ATTACHMENT_FILE, pk, data)
        member = _Member(archive, f"files/{pk}")
        member.write(plain)
        files[member.name] = member.close()
    return files


def write_archive(workspace: Workspace, out: IO[bytes], *, created_by: str) -> dict[str, Any]:
    """Write `workspace`'s archive to `out` (written forward only); -> its manifest."""
    signed_ok = {check.session_id for check in signatures_verify(workspace.pk) if check.ok}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        tables = {t.name: _write_table(archive, workspace, t, signed_ok) for t in TABLES}
        files = _write_files(archive, workspace)
        manifest = {
            "format": codec.FORMAT,
            "version": codec.VERSION,
            "app": app_version(),
            "created_at": codec.encode(timezone.now()),
            "created_by": created_by,
            "workspace": workspace_values(workspace),
            # The archive's ids are this workspace's: the audit chain hashes it, so the restore
            # can verify the chain as it was written.
            "workspace_id": workspace.pk,
            "audit_head": dict(zip(("seq", "hash"), chain.head(workspace.pk), strict=True)),
            "tables": tables,
            "files": files,
            "not_included": {
                "private_notes": SessionPrivateNote.objects.for_workspace(workspace).count(),
            },
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    return manifest
