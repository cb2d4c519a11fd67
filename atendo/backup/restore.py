"""Restore a workspace archive into a new workspace of this installation (`manage.py import_workspace`).

In one transaction: any error writes nothing (the attachment files already stored are deleted)
and says which table and row. Steps:

1. the manifest: the format and its version (an unknown one is refused), then every member's
   SHA-256 against the manifest, before anything is written;
2. the workspace, with the new slug (it must not exist yet);
3. the tables in order (`tables.TABLES`), streamed in chunks: users are linked by e-mail or
   created without a usable password; every row gets a new id, every foreign key the new id of
   its target (`Maps`); the late columns (sealed content, JSON holding ids of later tables) wait;
4. the late columns: ids inside JSON translated (`remap`), the values the archive notes as sealed
   sealed again with this installation's key for the new row (`clinical.crypto`), and the
   attachments' bytes stored (sealed again if they were) after their SHA-256 is checked;
5. signatures: a signature that verified when the archive was written is stamped again over the
   restored record (its ids are new, so its hash is too); one that did not keeps its hash and
   still fails `verify_signatures`, as it did;
6. the audit trail: the archive's chain is verified as written, then linked again as the new
   workspace's history (ids translated), and one `backup.import` event closes it, naming the
   archive's chain head; the search index is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import zipfile
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_slug
from django.db import models, transaction

from atendo.audit import chain
from atendo.audit.models import AuditEvent
from atendo.audit.services import audit_record
from atendo.backup import codec, remap
from atendo.backup.remap import Maps
from atendo.backup.tables import TABLES, Table
from atendo.clinical import crypto
from atendo.files.services import attachment_storage
from atendo.insights.search import reindex_workspace
from atendo.recording.signing import digest
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Role, Workspace

CHUNK = 500


class RestoreFailed(Exception):
    """An archive that cannot be restored; the message says why (and where)."""


# --- reading the archive -------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, once the format, version and every member's SHA-256 check out."""
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise RestoreFailed("Not a workspace archive: it has no manifest.json.") from None
    except ValueError as exc:
        raise RestoreFailed(f"manifest.json is not valid JSON: {exc}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != codec.FORMAT:
        raise RestoreFailed(f"Not a workspace archive: its format is not {codec.FORMAT!r}.")
    if manifest.get("version") != codec.VERSION:
        raise RestoreFailed(
            f"This archive is format version {manifest.get('version')!r}; this installation reads "
            f"version {codec.VERSION} only. Restore it with the Atendo version that wrote it."
        )
    expected = {t["member"]: t for t in manifest.get("tables", {}).values()}
    expected.update(manifest.get("files", {}))
    for name, facts in expected.items():
        if _sha256(archive, name) != facts.get("sha256"):
            raise RestoreFailed(f"{name}: its SHA-256 does not match the manifest (damaged or altered).")
    return manifest


def _sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest_ = hashlib.sha256()
    try:
        with archive.open(name) as handle:
            for chunk in iter(lambda: handle.read(64 * 1024), b""):
                digest_.update(chunk)
    except KeyError:
        raise RestoreFailed(f"{name} is named by the manifest but missing from the archive.") from None
    return digest_.hexdigest()


def _rows(archive: zipfile.ZipFile, table: Table) -> Iterator[dict[str, Any]]:
    with archive.open(table.member) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield json.loads(raw)
            except ValueError:
                raise RestoreFailed(f"{table.member}, line {number}: not valid JSON.") from None


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextlib.contextmanager
def _as_given(*models_: type[models.Model]) -> Iterator[None]:
    """Keep the archive's `created_at` / `updated_at`: `auto_now(_add)` would stamp the restore's
    time on every row. (It changes the fields for the process: the restore runs in a command.)"""
    saved = []
    for model in models_:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))  # type: ignore[attr-defined]
                f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add  # type: ignore[attr-defined]


# --- restoring ------------------------------------------------------------------------------------


class Restore:
    def __init__(self, archive: zipfile.ZipFile, manifest: dict[str, Any]):
        self.archive = archive
        self.manifest = manifest
        self.maps = Maps()
        self.stored_files: list[str] = []
        self.workspace: Workspace | None = None
        self.specs: dict[tuple[str, int | None], dict[str, Any]] = {}
        self.signed: list[int] = []  # new ids of sessions whose signature verified when written
        self.users_created = 0

    @property
    def ws(self) -> Workspace:
        assert self.workspace is not None
        return self.workspace

    def run(self, *, slug: str, owner_email: str | None) -> Workspace:
        try:
            validate_slug(slug)
        except ValidationError:
            raise RestoreFailed(f"{slug!r} is not a valid slug (letters, digits, - and _).") from None
        if Workspace.objects.filter(slug=slug).exists():
            raise RestoreFailed(f"A workspace with the slug {slug!r} exists already: choose a new slug.")
        with _as_given(*(t.model_class for t in TABLES), Workspace):
            self._workspace(slug)
            for table in TABLES:
                if table.name == "audit_events":
                    self._audit()
                else:
                    self._insert(table)
            self.specs = remap.specs_of(_rows(self.archive, _table("field_definitions")))
            for table in TABLES:
                if table.late:
                    self._late(table)
        self._files()
        self._signatures()
        owner = self._owner(owner_email) if owner_email else None
        audit_record(
            workspace=self.ws,
            actor=None,
            action="backup.import",
            obj=self.ws,
            actor_label="system (import_workspace)",
            changes={
                "archive_workspace": self.manifest["workspace"].get("slug", ""),
                "archive_created_at": self.manifest.get("created_at", ""),
                "archive_audit_head": self.manifest.get("audit_head", {}),
                "rows": {name: t["rows"] for name, t in self.manifest["tables"].items()},
                "files": len(self.manifest.get("files", {})),
                "users_created": self.users_created,
                "owner": owner or "",
            },
        )
        reindex_workspace(self.ws)
        return self.ws

    # -- the workspace and the rows --

    def _workspace(self, slug: str) -> None:
        values = self.manifest.get("workspace") or {}
        fields = {f.attname: f for f in Workspace._meta.concrete_fields if f.attname != "id"}
        unknown = set(values) - set(fields)
        if unknown:
            raise RestoreFailed(f"manifest.json: unknown workspace settings {sorted(unknown)}.")
        data = {name: codec.decode(fields[name], value) for name, value in values.items()}
        data["slug"] = slug
        self.workspace = Workspace.objects.create(**data)

    def _instance(self, table: Table, row: dict[str, Any]) -> models.Model:
        model = table.model_class
        data: dict[str, Any] = {}
        row_id = row.get("id")
        unknown = sorted(k for k in row if not k.startswith("$") and k not in _known(model))
        if unknown:
            # Never dropped in silence: an archive of a newer Atendo may hold what this one cannot.
            raise RestoreFailed(
                f"{table.name}, row {row_id}: unknown columns {', '.join(unknown)} (an archive of a "
                "newer Atendo? Upgrade this installation first)."
            )
        for f in codec.columns(model):
            if f.attname == "id" or f.attname not in row:
                continue
            value = row[f.attname]
            if f.is_relation and value is not None:
                target = f.related_model._meta.label  # type: ignore[union-attr]
                target_table = next((t for t in TABLES if t.model == target), None)
                new = self.maps.get(target_table.name, value) if target_table else None
                if new is None and not f.null:
                    raise RestoreFailed(
                        f"{table.name}, row {row_id}: {f.attname} names "
                        f"{target_table.name if target_table else target} #{value}, "
                        "which the archive does not hold."
                    )
                data[f.attname] = new
            elif f.attname in table.late:
                data[f.attname] = f.get_default()
            else:
                data[f.attname] = codec.decode(f, value)
        if _has_workspace(model):
            data["workspace_id"] = self.ws.pk
        self._fix(table, row, data)
        return model(**data)

    def _fix(self, table: Table, row: dict[str, Any], data: dict[str, Any]) -> None:
        """Plain ids of the tables inserted so far, outside foreign keys."""
        if table.name in ("data_requests", "audit_event_clients"):
            data["client_id"] = self.maps.client(row["client_id"])
        elif table.name == "form_requests":
            # The link's secret stays with the original: the restored form is a record, not a link.
            data["token_hash"] = None
        elif table.name == "attachments":
            data["storage_name"] = f"{self.ws.pk}/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}"

    def _insert(self, table: Table) -> None:
        if table.name == "users":
            self._users()
            return
        model = table.model_class
        ids = self.maps.table(table.name)
        for chunk in _chunks(_rows(self.archive, table)):
            instances = [self._instance(table, row) for row in chunk]
            try:
                with transaction.atomic():
                    created = model._default_manager.bulk_create(instances)
            except Exception as exc:
                first, last = chunk[0].get("id"), chunk[-1].get("id")
                raise RestoreFailed(f"{table.name}, rows {first}–{last}: {exc}") from exc
            for row, instance in zip(chunk, created, strict=True):
                if instance.pk is None:
                    raise RestoreFailed("This database does not return the ids of inserted rows.")
                ids[row["id"]] = instance.pk

    def _users(self) -> None:
        user_model = get_user_model()
        ids = self.maps.table("users")
        for row in _rows(self.archive, _table("users")):
            email = str(row.get("email") or "").strip()
            if not email:
                raise RestoreFailed(f"users, row {row.get('id')}: no e-mail address.")
            user = user_model._default_manager.filter(email__iexact=email).first()
            if user is None:
                user = user_model(
                    email=email,
                    name=row.get("name") or "",
                    language=row.get("language") or "",
                    is_active=bool(row.get("is_active", True)),
                )
                if row.get("date_joined"):
                    joined = user_model._meta.get_field("date_joined")
                    user.date_joined = codec.decode(joined, row["date_joined"])
                # No password travels in an archive: the person sets one with "Forgot password".
                user.set_unusable_password()
                user.save()
                self.users_created += 1
            ids[row["id"]] = user.pk

    # -- the late columns --

    def _late(self, table: Table) -> None:
        model = table.model_class
        sealed = {c.column: c for c in crypto.COLUMNS if c.table == model._meta.db_table}
        seal = crypto.sealer(self.ws.pk)
        ids = self.maps.ids[table.name]
        for chunk in _chunks(_rows(self.archive, table)):
            instances = []
            for row in chunk:
                new_id = ids[row["id"]]
                note = row.get(codec.SEALED) or {}
                instance = model(pk=new_id)
                for name in table.late:
                    value = self._late_value(table, row, name)
                    column = sealed.get(name)
                    if column is not None and note.get(name):
                        value = self._seal(seal, column, new_id, value, note[name])
                    setattr(instance, name, value)
                if table.name == "sessions" and row.get("$signature_verified"):
                    self.signed.append(new_id)
                instances.append(instance)
            try:
                with transaction.atomic():
                    model._default_manager.bulk_update(instances, list(table.late))
            except Exception as exc:
                raise RestoreFailed(f"{table.name}, rows {chunk[0]['id']}–{chunk[-1]['id']}: {exc}") from exc

    def _late_value(self, table: Table, row: dict[str, Any], name: str) -> Any:
        return remap.late_value(table.name, row, name, self.maps, self.specs)

    @staticmethod
    def _seal(seal: crypto.Sealer, column: crypto.SealedColumn, row_id: int, value: Any, note: Any) -> Any:
        if column.kind == "text":
            return seal.text(column, row_id, value or "")
        out = dict(value or {})
        for key, how in (note or {}).items():
            if key in out and out[key] is not None:
                out[key] = seal.value(column, row_id, key, out[key], blind=how == "blind")
        return out

    # -- files, signatures, owner --

    def _files(self) -> None:
        from atendo.files.models import Attachment

        storage = attachment_storage()
        seal = crypto.sealer(self.ws.pk)
        files = self.manifest.get("files", {})
        new_ids = self.maps.ids.get("attachments", {})
        for row in _rows(self.archive, _table("attachments")):
            member = row.get("storage_name") or ""
            if member not in files:
                raise RestoreFailed(
                    f"attachments, row {row['id']}: its file {member!r} is not in the archive."
                )
            data = self.archive.read(member)
            if hashlib.sha256(data).hexdigest() != files[member]["sha256"]:
                raise RestoreFailed(f"attachments, row {row['id']}: its file does not match its SHA-256.")
            new_id = new_ids[row["id"]]
            if (row.get(codec.SEALED) or {}).get("storage_name"):
                data = seal.data(crypto.ATTACHMENT_FILE, new_id, data)
            name = Attachment.objects.filter(pk=new_id).values_list("storage_name", flat=True).get()
            stored = storage.save(name, ContentFile(data))
            self.stored_files.append(stored)
            if stored != name:
                Attachment.objects.filter(pk=new_id).update(storage_name=stored)

    def _signatures(self) -> None:
        for start in range(0, len(self.signed), CHUNK):
            ids = self.signed[start : start + CHUNK]
            for session in Session.objects.filter(pk__in=ids):
                assert session.signed_at is not None and session.signed_by_id is not None
                signature = digest(session, signed_by=session.signed_by_id, signed_at=session.signed_at)
                Session.objects.filter(pk=session.pk).update(signature_hash=signature)

    def _owner(self, email: str) -> str:
        """Make `email` an owner of the restored workspace (created or linked like the members)."""
        user_model = get_user_model()
        user = user_model._default_manager.filter(email__iexact=email.strip()).first()
        if user is None:
            user = user_model(email=email.strip())
            user.set_unusable_password()
            user.save()
            self.users_created += 1
        role = Role.objects.for_workspace(self.ws).filter(is_owner=True).order_by("pk").first()
        if role is None:
            raise RestoreFailed("The archive has no Owner role to give.")
        member = Membership.objects.for_workspace(self.ws).filter(user=user).first()
        if member is None:
            Membership.objects.create(workspace=self.ws, user=user, role=role)
        elif member.role_id != role.pk or not member.is_active:
            Membership.objects.filter(pk=member.pk).update(role=role, is_active=True)
        return str(user.email)

    # -- the audit trail --

    def _audit(self) -> None:
        """Verify the archive's chain as it was written, then link it again in the new workspace."""
        table = _table("audit_events")
        fields = {f.attname: f for f in codec.columns(AuditEvent)}
        source_ws = self.manifest.get("workspace_id")
        ids = self.maps.table("audit_events")
        prev_source, prev_new, expected = chain.GENESIS, chain.GENESIS, 1
        for chunk in _chunks(_rows(self.archive, table)):
            events = []
            for row in chunk:
                values = {name: codec.decode(fields[name], row.get(name)) for name in fields if name in row}
                source = {**values, "workspace_id": source_ws}
                if (
                    row.get("seq") != expected
                    or row.get("prev_hash") != prev_source
                    or chain.event_hash(prev_source, source) != row.get("hash")
                ):
                    raise RestoreFailed(
                        f"audit_events, row {row.get('id')} (event #{row.get('seq')}): the archive's "
                        "audit trail does not verify there (altered or incomplete)."
                    )
                prev_source, expected = row["hash"], expected + 1
                event = AuditEvent(
                    workspace_id=self.ws.pk,
                    actor_id=self.maps.get("users", values.get("actor_id")),
                    actor_label=values["actor_label"],
                    action=values["action"],
                    object_type=values["object_type"],
                    object_id=remap.audit_object_id(values["object_type"], values["object_id"], self.maps),
                    object_label=values["object_label"],
                    client_id=self.maps.client(values.get("client_id")),
                    label_clinical=values["label_clinical"],
                    changes=chain.as_stored(
                        remap.audit_changes(values.get("changes"), self.maps, values["action"])
                    ),
                    at=values["at"],
                    seq=values["seq"],
                    prev_hash=prev_new,
                )
                if event.object_type == "workspace":
                    event.object_id = str(self.ws.pk)
                event.hash = chain.event_hash(prev_new, chain.values_of(event))
                prev_new = event.hash
                events.append(event)
            try:
                with transaction.atomic():
                    created = AuditEvent.objects.bulk_create(events)
            except Exception as exc:
                raise RestoreFailed(f"audit_events, rows {chunk[0]['id']}–{chunk[-1]['id']}: {exc}") from exc
            for row, event in zip(chunk, created, strict=True):
                ids[row["id"]] = event.pk


def _table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)


def _known(model: type[models.Model]) -> set[str]:
    return {f.attname for f in codec.columns(model)}


def _has_workspace(model: type[models.Model]) -> bool:
    return any(f.attname == "workspace_id" for f in model._meta.concrete_fields)


def restore_archive(path: str, *, slug: str, owner_email: str | None = None) -> Workspace:
    """Restore the archive at `path` as the new workspace `slug`. Raises `RestoreFailed`."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise RestoreFailed(f"{path}: not a readable ZIP archive ({exc}).") from None
    with archive:
        manifest = read_manifest(archive)
        restore = Restore(archive, manifest)
        try:
            with transaction.atomic():
                return restore.run(slug=slug, owner_email=owner_email)
        except BaseException:
            storage = attachment_storage()
            for name in restore.stored_files:
                storage.delete(name)
            raise
