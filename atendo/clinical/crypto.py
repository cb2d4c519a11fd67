"""Encryption at rest of clinical content: the ONE place that seals and opens it.

Scheme (docs/security.md has the reasoning):

- **AES-256-GCM** (`cryptography`) for every value, with a fresh 96-bit random nonce.
- **Data keys per workspace** (`clinical.models.WorkspaceKey`): 32 random bytes each, stored only
  *wrapped* (AES-256-GCM) by the **master key**, which never touches the database: it comes from
  the environment (`ATENDO_MASTER_KEY`, base64 of 32 bytes; in development a key generated under
  `var/` with a warning; production refuses to start without it, check `atendo.E010`). Each data key
  has a random id (`kid`, 8 characters) that every ciphertext names, so old keys keep opening what
  they sealed while `manage.py rotate_keys` re-encrypts it.
- **Associated data** binds each ciphertext to its place: `atendo.v1|<workspace id>|<table>|<row
  id>|<column>` (and `|<key>` for one custom-field value). A ciphertext copied to another row,
  column, field key or workspace does not open (`Undecryptable`).
- **What is sealed** is declared once, in `COLUMNS` below: session notes, clinical custom-field
  values (session phases, client fields), therapy fields, evaluation values and clinical titles,
  clinical attachment names and bytes on disk — and whatever a later app adds with
  `register_column`. Administrative values stay plain (filters, the calendar, non-readers).

Stored forms:

- a text column holds a token `ae1.<kid>.<base64url(nonce | ciphertext | tag)>` ("" stays "");
- a custom-field value inside a JSON column becomes an envelope `{"$ae": <token of the value's
  JSON>}`, plus `"$bi": <blind index>` when the field is filterable (`blind_keys`). Field keys never
  start with "$", so an envelope is never mistaken for a value, and the keys stay visible (a key's
  presence is no secret: `withheld` lists them to every reader);
- a file starts with `FILE_MAGIC`, then the kid, the nonce, the ciphertext and the tag.

Rows are bound by their primary key, so a new row is written without its clinical content and
sealed right after the insert, in the same transaction (`Sealer` + an `UPDATE`): the plaintext never
reaches the database. Reading never decrypts for someone who may not read: `clinical.redact` opens
the rows it lets through, and nothing else but the services (for the reader writing) and the
forms of a reader call `open_*`.

Using it from a new app (e.g. an addendum's text):

    from atendo.clinical import crypto
    ADDENDUM_TEXT = crypto.register_column(crypto.SealedColumn("scheduling_addendum", "text", "text"))
    # the model: text = SealedTextField()  (atendo.clinical.fields: it refuses plaintext)
    addendum = Addendum.objects.create(..., text="")
    sealed = crypto.sealer(workspace_id).text(ADDENDUM_TEXT, addendum.pk, text)
    Addendum.objects.filter(pk=addendum.pk).update(text=sealed)
    ...
    crypto.open_text(workspace_id, ADDENDUM_TEXT, addendum.pk, addendum.text)  # only for a reader

The search index (insights) stores keyed hashes, never words: `index_key(workspace)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sys
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from atendo.core import fastjson
from atendo.core.errors import DomainError

if TYPE_CHECKING:
    from atendo.clinical.models import WorkspaceKey
    from atendo.workspaces.models import Workspace

logger = logging.getLogger("atendo.crypto")

SCHEME = "ae1"
SEALED = "$ae"  # the envelope of one sealed custom-field value
BLIND = "$bi"  # its blind index (filterable fields only)
FILE_MAGIC = b"ATENDO-AE1\n"
KID_LENGTH = 8
NONCE_BYTES = 12
TAG_BYTES = 16
TOKEN_RE = re.compile(r"^ae1\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{38,})$")
_AAD_PREFIX = "atendo.v1"


class Undecryptable(DomainError):
    """A stored ciphertext that does not open where it is: moved or copied from another row, column
    or workspace, altered, or sealed by a key this installation does not have (a lost master key).
    Never bad input: the error is logged (where, never what) and answered 500."""

    def __init__(self, where: str):
        super().__init__(
            message=str(
                _("A clinical record could not be decrypted; the practice's administrator must check it.")
            ),
            code="undecryptable",
            status=500,
        )
        self.where = where
        logger.error("Undecryptable clinical value at %s", where)


# --- what is sealed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedColumn:
    """One column that holds clinical content, named by its table and column (the associated data).

    `kind`: "text" (the whole value is one token), "values" (a JSON object of custom-field values,
    each value its own envelope; `clinical` says which keys: see the writers), or "file" (the column
    is the file's name under `settings.ATTACHMENTS_ROOT`; the bytes on disk are sealed).
    `only_if`: a boolean column of the same row; the value is sealed only where it is true (an
    evaluation's title, an attachment's name and bytes: when they are clinical).
    """

    table: str
    column: str
    kind: Literal["text", "values", "file"]
    only_if: str | None = None
    # "values": which keys are sealed comes from the field definitions of `scope` (and `phase`):
    # all but the administrative ones; no scope means every key (therapy fields). `whole_if`: a
    # boolean column whose rows have every value sealed (a clinical evaluation).
    scope: str | None = None
    phase: str | None = None
    whole_if: str | None = None

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


SESSION_NOTES = SealedColumn("scheduling_session", "notes", "text")
SESSION_PHASES = {
    phase: SealedColumn("scheduling_session", f"{phase}_fields", "values", scope="session", phase=phase)
    for phase in ("pre", "during", "post")
}
SESSION_THERAPY_FIELDS = SealedColumn("scheduling_session", "therapy_fields", "values")
CLIENT_FIELDS = SealedColumn("clients_client", "fields", "values", scope="client")
EVALUATION_TITLE = SealedColumn("evaluations_evaluation", "title", "text", only_if="clinical")
EVALUATION_VALUES = SealedColumn(
    "evaluations_evaluation", "values", "values", scope="evaluation", whole_if="clinical"
)
ATTACHMENT_NAME = SealedColumn("files_attachment", "original_name", "text", only_if="clinical")
ATTACHMENT_FILE = SealedColumn("files_attachment", "storage_name", "file", only_if="clinical")

COLUMNS: list[SealedColumn] = [
    SESSION_NOTES,
    *SESSION_PHASES.values(),
    SESSION_THERAPY_FIELDS,
    CLIENT_FIELDS,
    EVALUATION_TITLE,
    EVALUATION_VALUES,
    ATTACHMENT_NAME,
    ATTACHMENT_FILE,
]


def register_column(column: SealedColumn) -> SealedColumn:
    """Declare another sealed column (an app above clinical: addenda, private notes…), so key
    rotation and the checks know it. Returns it, for use as a module constant."""
    if column not in COLUMNS:
        COLUMNS.append(column)
    return column


# --- the master key ------------------------------------------------------------------------------


def _decode_master(text: str, name: str) -> bytes:
    value = text.strip()
    try:
        raw = base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} is not base64.") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"{name} must be the base64 of 32 random bytes (it decodes to {len(raw)})."
        )
    return raw


def new_master_key() -> str:
    """A fresh master key as `ATENDO_MASTER_KEY` takes it (base64 of 32 random bytes)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def master_kid(raw: bytes) -> str:
    """A master key's public id (a hash of it): which master wraps which data key."""
    digest = hashlib.sha256(b"atendo.v1/master-key-id\0" + raw).digest()
    return base64.urlsafe_b64encode(digest).decode()[:KID_LENGTH]


@dataclass(frozen=True)
class MasterRing:
    current: str  # the kid of the key that wraps new data keys
    keys: dict[str, AESGCM]


_ring_lock = threading.Lock()
_rings: dict[tuple[str, tuple[str, ...]], MasterRing] = {}


def _dev_master_key(path: Path) -> str:
    """Development only: the key kept in `path`, created (0600) with a loud warning the first time."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_master_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    message = (
        f"WARNING: ATENDO_MASTER_KEY is not set; generated a development master key in {path}. "
        "It encrypts every clinical note of this database: without it they are unreadable. "
        "Keep a copy; in production set ATENDO_MASTER_KEY instead (see README, 'The master key')."
    )
    logger.warning(message)
    print(message, file=sys.stderr)
    return key


def master_ring() -> MasterRing:
    """The master keys from the settings: the current one, plus `ATENDO_OLD_MASTER_KEYS` (still
    accepted to unwrap, while `rotate_keys --master` re-wraps the data keys)."""
    current_text = getattr(settings, "ATENDO_MASTER_KEY", "") or ""
    old = tuple(getattr(settings, "ATENDO_OLD_MASTER_KEYS", ()) or ())
    if not current_text:
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured(
                "ATENDO_PRODUCTION=1 needs ATENDO_MASTER_KEY (base64 of 32 random bytes): see README."
            )
        current_text = _dev_master_key(Path(settings.ATENDO_MASTER_KEY_FILE))
    cache_key = (current_text, old)
    ring = _rings.get(cache_key)
    if ring is None:
        with _ring_lock:
            raw = _decode_master(current_text, "ATENDO_MASTER_KEY")
            keys = {master_kid(raw): AESGCM(raw)}
            for i, text in enumerate(old):
                old_raw = _decode_master(text, f"ATENDO_OLD_MASTER_KEYS[{i}]")
                keys.setdefault(master_kid(old_raw), AESGCM(old_raw))
            ring = _rings[cache_key] = MasterRing(current=master_kid(raw), keys=keys)
    return ring


def check_master_key() -> str | None:
    """What is wrong with the configured master key, or None (for the system check)."""
    try:
        master_ring()
    except ImproperlyConfigured as exc:
        return str(exc)
    return None


# --- data keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataKey:
    kid: str
    workspace_id: int
    aead: AESGCM
    raw: bytes

    def derive(self, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"atendo.v1/" + purpose).derive(
            self.raw
        )


# kid -> key. Safe to keep for the process's life: a kid is random, so it never names another key
# (even one written by a transaction that rolled back).
_data_keys: dict[str, DataKey] = {}
_blind_keys: dict[str, bytes] = {}


def _key_model() -> type[WorkspaceKey]:
    return apps.get_model("clinical", "WorkspaceKey")  # type: ignore[return-value]


def _wrap_aad(workspace_id: int, kid: str) -> bytes:
    return f"{_AAD_PREFIX}|wrap|{workspace_id}|{kid}".encode()


def wrap(workspace_id: int, kid: str, raw: bytes, ring: MasterRing | None = None) -> tuple[str, str]:
    """(wrapped data key as text, the master kid that wrapped it)."""
    ring = ring or master_ring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.keys[ring.current].encrypt(nonce, raw, _wrap_aad(workspace_id, kid))
    return base64.b64encode(nonce + sealed).decode(), ring.current


def unwrap(
    workspace_id: int, kid: str, wrapped: str, wrapped_by: str, ring: MasterRing | None = None
) -> bytes:
    ring = ring or master_ring()
    master = ring.keys.get(wrapped_by)
    if master is None:
        raise ImproperlyConfigured(
            f"The data key {kid} of workspace {workspace_id} is wrapped by master key {wrapped_by}, "
            "which is neither ATENDO_MASTER_KEY nor one of ATENDO_OLD_MASTER_KEYS."
        )
    blob = base64.b64decode(wrapped)
    try:
        return master.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(workspace_id, kid))
    except InvalidTag:
        raise Undecryptable(f"data key {kid}") from None


def _remember(row: Any) -> DataKey:
    key = _data_keys.get(row.kid)
    if key is None:
        raw = unwrap(row.workspace_id, row.kid, row.wrapped, row.master_kid)
        key = _data_keys[row.kid] = DataKey(row.kid, row.workspace_id, AESGCM(raw), raw)
    return key


def key_by_kid(kid: str, workspace_id: int, model: Any = None) -> DataKey:
    key = _data_keys.get(kid)
    if key is None:
        key_model: Any = model or _key_model()
        row = key_model.objects.filter(kid=kid).first()
        if row is None:
            raise Undecryptable(f"unknown key {kid}")
        key = _remember(row)
    if key.workspace_id != workspace_id:
        raise Undecryptable(f"key {kid} of another workspace")
    return key


def new_data_key(workspace_id: int, version: int, model: Any = None) -> DataKey:
    """Create and store the workspace's data key `version` (wrapped by the current master key)."""
    model = model or _key_model()
    raw = secrets.token_bytes(32)
    kid = base64.urlsafe_b64encode(secrets.token_bytes(6)).decode()
    wrapped, by = wrap(workspace_id, kid, raw)
    row = model.objects.create(
        workspace_id=workspace_id, kid=kid, version=version, wrapped=wrapped, master_kid=by
    )
    return _remember(row)


def current_key(workspace_id: int, model: Any = None) -> DataKey:
    """The workspace's newest data key, created on first use (one query when it exists)."""
    model = model or _key_model()
    row = model.objects.filter(workspace_id=workspace_id).order_by("-version").first()
    if row is not None:
        return _remember(row)
    try:
        with transaction.atomic():
            return new_data_key(workspace_id, 1, model)
    except IntegrityError:  # a concurrent first write created it: use that one
        row = model.objects.filter(workspace_id=workspace_id).order_by("-version").first()
        if row is None:
            raise
        return _remember(row)


def live_keys(workspace_id: int, model: Any = None) -> list[DataKey]:
    """The workspace's keys not retired, newest first (a rotation in progress has two)."""
    key_model: Any = model or _key_model()
    rows = key_model.objects.filter(workspace_id=workspace_id, retired_at__isnull=True)
    return [_remember(row) for row in rows.order_by("-version")]


# --- sealing --------------------------------------------------------------------------------------


def _aad(workspace_id: int, column: SealedColumn, row_id: int, key: str | None = None) -> bytes:
    aad = f"{_AAD_PREFIX}|{workspace_id}|{column.table}|{row_id}|{column.column}"
    return (aad if key is None else f"{aad}|{key}").encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def _unb64(text: str) -> bytes:
    # `base64.urlsafe_b64decode(text + padding)` without its wrappers (the same steps: ASCII,
    # the URL-safe alphabet translated, the lenient decoder): ~5,000 calls for a week of sessions.
    return binascii.a2b_base64(
        (text + "=" * (-len(text) % 4)).encode("ascii").translate(_URLSAFE_TO_STANDARD)
    )


def is_token(value: Any) -> bool:
    return isinstance(value, str) and TOKEN_RE.match(value) is not None


def is_sealed(value: Any) -> bool:
    """Whether a custom-field value is an envelope (sealed clinical content)."""
    return type(value) is dict and SEALED in value


def token_kid(value: Any) -> str | None:
    """The kid a token or envelope was sealed with (None for anything else)."""
    if is_sealed(value):
        value = value[SEALED]
    if isinstance(value, str):
        match = TOKEN_RE.match(value)
        if match:
            return match.group(1)
    return None


def _canonical(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _blind(key: DataKey, column: SealedColumn, field_key: str, value: Any) -> str:
    secret = _blind_keys.get(key.kid)
    if secret is None:
        secret = _blind_keys[key.kid] = key.derive(b"blind-index")
    message = f"{column.table}|{column.column}|{field_key}|{_canonical(value)}".encode()
    return _b64(hmac.new(secret, message, hashlib.sha256).digest()[:16])


class Sealer:
    """Seals with one workspace's current data key. Get one per write (`sealer(workspace_id)`:
    one query), then seal as many values as the write has."""

    def __init__(self, key: DataKey):
        self.key = key
        self.workspace_id = key.workspace_id

    def _token(self, plaintext: bytes, aad: bytes) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return f"{SCHEME}.{self.key.kid}.{_b64(nonce + self.key.aead.encrypt(nonce, plaintext, aad))}"

    def text(self, column: SealedColumn, row_id: int, text: str) -> str:
        """A text column's stored form ("" stays "": nothing to hide)."""
        if not text:
            return ""
        return self._token(text.encode(), _aad(self.workspace_id, column, row_id))

    def value(
        self, column: SealedColumn, row_id: int, field_key: str, value: Any, *, blind: bool = False
    ) -> dict:
        envelope = {
            SEALED: self._token(
                _canonical(value).encode(), _aad(self.workspace_id, column, row_id, field_key)
            )
        }
        if blind:
            envelope[BLIND] = _blind(self.key, column, field_key, value)
        return envelope

    def values(
        self,
        column: SealedColumn,
        row_id: int,
        values: Mapping[str, Any],
        *,
        open_keys: Collection[str] = (),
        blind_keys: Collection[str] = (),
    ) -> dict[str, Any]:
        """A JSON column's stored form: every value sealed in its own envelope, except those under
        `open_keys` (administrative) and None; envelopes already there (content the writer could
        not read, kept as it was) stay as they are."""
        out: dict[str, Any] = {}
        for field_key, value in values.items():
            if value is None or field_key in open_keys or is_sealed(value):
                out[field_key] = value
            else:
                out[field_key] = self.value(column, row_id, field_key, value, blind=field_key in blind_keys)
        return out

    def data(self, column: SealedColumn, row_id: int, data: bytes) -> bytes:
        """A file's sealed bytes."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self.key.aead.encrypt(nonce, data, _aad(self.workspace_id, column, row_id))
        return FILE_MAGIC + self.key.kid.encode() + nonce + sealed


def sealer(workspace: Workspace | int, model: Any = None) -> Sealer:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return Sealer(current_key(workspace_id, model))


# --- opening ---------------------------------------------------------------------------------------


def _open_token(workspace_id: int, token: str, aad: bytes, where: str, model: Any = None) -> bytes:
    match = TOKEN_RE.match(token)
    if match is None:
        raise Undecryptable(where)
    key = key_by_kid(match.group(1), workspace_id, model)
    blob = _unb64(match.group(2))
    try:
        return key.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise Undecryptable(where) from None


def open_text(workspace_id: int, column: SealedColumn, row_id: int, stored: str, model: Any = None) -> str:
    """A text column's plaintext. Only for a reader of the content (the caller decided)."""
    if not stored:
        return ""
    where = f"{column.name}#{row_id}"
    return _open_token(workspace_id, stored, _aad(workspace_id, column, row_id), where, model).decode()


def open_value(workspace_id: int, column: SealedColumn, row_id: int, field_key: str, value: Any) -> Any:
    """One custom-field value as it was given (values not sealed pass through as they are)."""
    if not is_sealed(value):
        return value
    where = f"{column.name}#{row_id}.{field_key}"
    plain = _open_token(workspace_id, value[SEALED], _aad(workspace_id, column, row_id, field_key), where)
    return fastjson.loads(plain)  # json.loads's answer, faster


def open_values(
    workspace_id: int, column: SealedColumn, row_id: int, stored: Mapping[str, Any] | None
) -> dict:
    """A JSON column's values, every envelope opened (a new dict)."""
    if not stored:
        return {}
    return {k: open_value(workspace_id, column, row_id, k, v) for k, v in stored.items()}


def open_data(workspace_id: int, column: SealedColumn, row_id: int, data: bytes) -> bytes:
    """A file's bytes; a file written before encryption (no `FILE_MAGIC`) is returned as it is."""
    if not data.startswith(FILE_MAGIC):
        return data
    start = len(FILE_MAGIC)
    kid = data[start : start + KID_LENGTH].decode("ascii", "replace")
    body = data[start + KID_LENGTH :]
    key = key_by_kid(kid, workspace_id)
    try:
        return key.aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _aad(workspace_id, column, row_id))
    except InvalidTag:
        raise Undecryptable(f"{column.name}#{row_id}") from None


def file_kid(data: bytes) -> str | None:
    if not data.startswith(FILE_MAGIC):
        return None
    start = len(FILE_MAGIC)
    return data[start : start + KID_LENGTH].decode("ascii", "replace")


# --- filters on sealed values -------------------------------------------------------------------------


def blind_terms(workspace_id: int, column: SealedColumn, field_key: str, value: Any) -> list[str]:
    """The blind indexes a filter `field_key == value` matches: one per live key of the workspace
    (two while a rotation is under way). Look them up as `<column>__<key>__$bi__in`."""
    return [_blind(key, column, field_key, value) for key in live_keys(workspace_id)]


# --- the search index key (insights) ---------------------------------------------------------------


def index_key(workspace: Workspace | int) -> bytes:
    """The workspace's search-index key: 32 bytes derived (HKDF-SHA256, purpose "search-index")
    from its current data key, for keyed hashes of words that never leave them readable.

    It changes when `manage.py rotate_keys --data-keys` gives the workspace a new data key: the
    rotation then tells the content listeners (`clinical.changes.content_changed`) about every record
    it re-encrypted, so an index rebuilds with the new key. While a rotation runs, search with every
    key of `index_keys`."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return current_key(workspace_id).derive(b"search-index")


def index_keys(workspace: Workspace | int) -> list[bytes]:
    """The search-index keys of the workspace's live data keys, newest (= `index_key`) first."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    keys = live_keys(workspace_id) or [current_key(workspace_id)]
    return [key.derive(b"search-index") for key in keys]


# --- rows ------------------------------------------------------------------------------------------------


def reseal_values(
    workspace_id: int,
    column: SealedColumn,
    row_id: int,
    stored: Mapping[str, Any],
    *,
    keys: Iterable[str],
    clinical: bool,
    blind: bool,
    seal: Sealer,
) -> dict[str, Any]:
    """`stored` with the values under `keys` re-sealed for a definition's new flags: plain when no
    longer `clinical`, sealed (with a blind index when `blind`) otherwise. Used when a field's
    clinical or filterable flag changes (the system re-encrypts; nobody reads)."""
    out = dict(stored)
    for field_key in keys:
        if field_key not in out or out[field_key] is None:
            continue
        plain = open_value(workspace_id, column, row_id, field_key, out[field_key])
        out[field_key] = seal.value(column, row_id, field_key, plain, blind=blind) if clinical else plain
    return out
