"""Work on everything sealed at once: sealing what an older database holds in plaintext (the data
migration), re-encrypting under a workspace's new data key and re-wrapping data keys under a new
master key (`manage.py rotate_keys`), and counting what each key seals (`--status`).

Every pass walks the columns declared in `crypto.COLUMNS`, row by row in id order, in batches that
each commit on their own: interrupted, a pass is simply run again — what is already done is
recognised (a token names its key) and skipped. The models are found by table name in an app
registry (the live one, or a migration's historical one), so this module imports no app above
`clinical`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from atendo.clinical import crypto
from atendo.fields.models import FILTERABLE_TYPES

Log = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


@dataclass
class Counts:
    rows: int = 0
    values: int = 0
    files: int = 0
    by_column: dict[str, int] = field(default_factory=dict)

    def add(self, column: crypto.SealedColumn, values: int = 0, files: int = 0) -> None:
        self.rows += 1
        self.values += values
        self.files += files
        self.by_column[column.name] = self.by_column.get(column.name, 0) + 1


def model_for(table: str, apps: Any = None) -> Any:
    for model in (apps or global_apps).get_models():
        if model._meta.db_table == table:
            return model
    return None


def _rows(
    model: Any, column: crypto.SealedColumn, workspace_id: int | None, batch: int
) -> Iterator[list[Any]]:
    """The rows holding something in `column`, in id order, `batch` at a time."""
    names = ["id", "workspace_id", column.column]
    for extra in (column.only_if, column.whole_if):
        if extra:
            names.append(extra)
    qs = model._base_manager.all()
    if workspace_id is not None:
        qs = qs.filter(workspace_id=workspace_id)
    qs = qs.exclude(**{column.column: {} if column.kind == "values" else ""})
    if column.only_if:
        qs = qs.filter(**{column.only_if: True})
    last = 0
    while True:
        page = list(qs.filter(id__gt=last).order_by("id").values(*names)[:batch])
        if not page:
            return
        yield page
        last = page[-1]["id"]


def _definitions(apps: Any, workspace_id: int, column: crypto.SealedColumn) -> tuple[set[str], set[str]]:
    """(administrative keys, blind-indexed keys) of a values column in one workspace."""
    if column.scope is None:
        return set(), set()
    model: Any = (apps or global_apps).get_model("fields", "FieldDefinition")
    qs: Any = model.objects.filter(workspace_id=workspace_id, scope=column.scope)
    if column.phase:
        qs = qs.filter(phase=column.phase)
    open_keys: set[str] = set()
    blind: set[str] = set()
    for key, clinical, filterable, kind in qs.values_list("key", "clinical", "filterable", "type"):
        if not clinical:
            open_keys.add(key)
        elif filterable and kind in FILTERABLE_TYPES:
            blind.add(key)
    return open_keys, blind


def _replace_file(path: Path, data: bytes) -> None:
    """Write `data` over `path` atomically (a temporary file in the same folder, then rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sealing-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- sealing plaintext (databases from before encryption) -------------------------------------------


def seal_plaintext(*, apps: Any = None, log: Log = _quiet, batch: int = 500) -> Counts:
    """Seal every clinical value still stored in plaintext. Idempotent; what it changes is
    rewritten in place (on SQLite, VACUUM afterwards so freed pages keep no old text)."""
    key_model = (apps or global_apps).get_model("clinical", "WorkspaceKey")
    counts = Counts()
    sealers: dict[int, crypto.Sealer] = {}
    rules: dict[tuple[int, str], tuple[set[str], set[str]]] = {}
    for column in crypto.COLUMNS:
        model = model_for(column.table, apps)
        if model is None:
            continue
        for page in _rows(model, column, None, batch):
            with transaction.atomic():
                for row in page:
                    workspace_id = row["workspace_id"]
                    if workspace_id not in sealers:
                        sealers[workspace_id] = crypto.sealer(workspace_id, key_model)
                    seal = sealers[workspace_id]
                    stored = row[column.column]
                    if column.kind == "text":
                        if crypto.is_token(stored):
                            continue
                        sealed = seal.text(column, row["id"], stored)
                        model._base_manager.filter(pk=row["id"]).update(**{column.column: sealed})
                        counts.add(column, values=1)
                    elif column.kind == "values":
                        rule = rules.get((workspace_id, column.name))
                        if rule is None:
                            rule = rules[(workspace_id, column.name)] = _definitions(
                                apps, workspace_id, column
                            )
                        open_keys, blind = rule
                        if column.whole_if and row.get(column.whole_if):
                            open_keys = set()
                        plain = [k for k, v in (stored or {}).items() if k not in open_keys and v is not None]
                        if all(crypto.is_sealed(stored[k]) for k in plain):
                            continue
                        sealed_values = seal.values(
                            column, row["id"], stored, open_keys=open_keys, blind_keys=blind
                        )
                        model._base_manager.filter(pk=row["id"]).update(**{column.column: sealed_values})
                        counts.add(column, values=sum(1 for k in plain if not crypto.is_sealed(stored[k])))
                    else:
                        path = Path(settings.ATTACHMENTS_ROOT) / stored
                        try:
                            data = path.read_bytes()
                        except FileNotFoundError:
                            continue
                        if data.startswith(crypto.FILE_MAGIC):
                            continue
                        _replace_file(path, seal.data(column, row["id"], data))
                        counts.add(column, files=1)
        if counts.by_column.get(column.name):
            log(f"  {column.name}: sealed {counts.by_column[column.name]} rows")
    return counts


def vacuum_if_sqlite(connection: Any) -> None:
    """SQLite keeps deleted and overwritten rows in free pages (and the WAL) until VACUUM and a
    checkpoint: after sealing plaintext, both, so the file holds no trace of it."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- re-encryption under a new data key --------------------------------------------------------------


def _reseal_text(
    old: str, column: crypto.SealedColumn, row_id: int, workspace_id: int, seal: crypto.Sealer
) -> str:
    return seal.text(column, row_id, crypto.open_text(workspace_id, column, row_id, old))


def reencrypt(
    workspace_id: int, *, log: Log = _quiet, batch: int = 500
) -> tuple[Counts, dict[str, set[int]]]:
    """Re-seal everything of the workspace not sealed by its current data key. -> (counts, the
    ids re-sealed per table, for the listeners of `clinical.changes`)."""
    seal = crypto.sealer(workspace_id)
    current = seal.key.kid
    counts = Counts()
    touched: dict[str, set[int]] = {}
    for column in crypto.COLUMNS:
        model = model_for(column.table)
        if model is None:
            continue
        for page in _rows(model, column, workspace_id, batch):
            with transaction.atomic():
                for row in page:
                    row_id, stored = row["id"], row[column.column]
                    if column.kind == "text":
                        if crypto.token_kid(stored) in (None, current):
                            continue
                        new: Any = _reseal_text(stored, column, row_id, workspace_id, seal)
                        n_values = 1
                    elif column.kind == "values":
                        stale = {
                            k: v
                            for k, v in (stored or {}).items()
                            if crypto.is_sealed(v) and crypto.token_kid(v) != current
                        }
                        if not stale:
                            continue
                        new = dict(stored)
                        for k, v in stale.items():
                            plain = crypto.open_value(workspace_id, column, row_id, k, v)
                            new[k] = seal.value(column, row_id, k, plain, blind=crypto.BLIND in v)
                        n_values = len(stale)
                    else:
                        path = Path(settings.ATTACHMENTS_ROOT) / stored
                        try:
                            data = path.read_bytes()
                        except FileNotFoundError:
                            continue
                        if crypto.file_kid(data) in (None, current):
                            continue
                        _replace_file(
                            path,
                            seal.data(column, row_id, crypto.open_data(workspace_id, column, row_id, data)),
                        )
                        counts.add(column, files=1)
                        touched.setdefault(column.table, set()).add(row_id)
                        continue
                    model._base_manager.filter(pk=row_id).update(**{column.column: new})
                    counts.add(column, values=n_values)
                    touched.setdefault(column.table, set()).add(row_id)
        if counts.by_column.get(column.name):
            log(f"  {column.name}: re-encrypted {counts.by_column[column.name]} rows")
    return counts, touched


def uses(workspace_id: int | None = None, *, batch: int = 2000) -> dict[str, int]:
    """How many sealed values (and files) each data key seals, per kid: a full scan."""
    found: dict[str, int] = {}
    for column in crypto.COLUMNS:
        model = model_for(column.table)
        if model is None:
            continue
        for page in _rows(model, column, workspace_id, batch):
            for row in page:
                stored = row[column.column]
                if column.kind == "text":
                    kids = [crypto.token_kid(stored)]
                elif column.kind == "values":
                    kids = [crypto.token_kid(v) for v in (stored or {}).values() if crypto.is_sealed(v)]
                else:
                    try:
                        with open(Path(settings.ATTACHMENTS_ROOT) / stored, "rb") as handle:
                            kids = [crypto.file_kid(handle.read(len(crypto.FILE_MAGIC) + crypto.KID_LENGTH))]
                    except FileNotFoundError:
                        kids = []
                for kid in kids:
                    name = kid or "plaintext"
                    found[name] = found.get(name, 0) + 1
    return found


def retire_older(workspace_id: int) -> list[str]:
    """Mark the workspace's keys older than the current one retired (they keep opening what they
    sealed: nothing is deleted). The kids retired."""
    from atendo.clinical.models import WorkspaceKey

    keys = list(
        WorkspaceKey.objects.filter(workspace_id=workspace_id, retired_at__isnull=True).order_by("-version")
    )
    older = keys[1:]
    WorkspaceKey.objects.filter(pk__in=[k.pk for k in older]).update(retired_at=timezone.now())
    return [k.kid for k in older]


# --- re-wrapping under a new master key ---------------------------------------------------------------


def rewrap_all(*, log: Log = _quiet) -> dict[int, list[str]]:
    """Re-wrap every data key not wrapped by the current master key. -> kids per workspace."""
    from atendo.clinical.models import WorkspaceKey

    ring = crypto.master_ring()
    done: dict[int, list[str]] = {}
    for key in WorkspaceKey.objects.exclude(master_kid=ring.current).order_by("workspace_id", "version"):
        with transaction.atomic():
            row = WorkspaceKey.objects.select_for_update().get(pk=key.pk)
            if row.master_kid == ring.current:
                continue
            raw = crypto.unwrap(row.workspace_id, row.kid, row.wrapped, row.master_kid, ring)
            row.wrapped, row.master_kid = crypto.wrap(row.workspace_id, row.kid, raw, ring)
            row.save(update_fields=["wrapped", "master_kid", "updated_at"])
        done.setdefault(key.workspace_id, []).append(key.kid)
        log(f"  workspace {key.workspace_id}: data key {key.kid} re-wrapped")
    return done
