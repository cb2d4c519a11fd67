"""The clinical canary (`tests.canary_data`) seen from below the application: what the database and
the attachments folder hold, for the encryption-at-rest tests (`clinical.crypto`).

The planted practice gets, besides the canary's markers (notes, every phase's clinical values,
client clinical fields, therapy fields, evaluations, attachment names and bytes), a signed record
with an addendum and the therapist's private note. `raw_database()` is the bytes a thief of the
database would have: the SQLite file and its WAL, or a PostgreSQL `pg_dump` (`COPY … TO STDOUT` of
every table when no pg_dump can dump this server).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from atendo.audit.guards import audit_erasure
from tests.canary_data import NUMBERS, YEARS, Planted, marker, planted_practice

# Values that are not clinical, planted beside the markers: found in the raw bytes, they prove the
# scan reads the data (a scan of the wrong file would find no marker either).
PLAIN_CONTROLS = ("Trazer recibo", "Prontuário 42", "Ficha administrativa", "Alice Canary")
FILE_CONTROL = b"recibo administrativo"


def planted_and_signed(django_db_blocker: Any, tmp_path_factory: Any, api_client: Any) -> Iterator[Planted]:
    """The body of a module-scoped fixture: the canary practice, its session signed by its
    practitioner (the therapist) with an addendum, and the therapist's private note on it."""
    practice = planted_practice(django_db_blocker, tmp_path_factory, api_client, export_formats=())
    for planted in practice:
        with django_db_blocker.unblock():
            api = api_client(planted.therapist)
            path = f"sessions/{planted.session_id}"
            version = api.get(path).json()["version"]
            signed = api.post(f"{path}/sign", {"version": version})
            assert signed.status_code == 200, signed.content
            for tag in ("addendum", "private_note"):
                planted.markers.add(marker(tag))
            added = api.post(f"{path}/addenda", {"text": marker("addendum")})
            assert added.status_code == 201, added.content
            noted = api.put(f"{path}/private-note", {"text": marker("private_note"), "version": 0})
            assert noted.status_code == 200, noted.content
        yield planted
        # The removal deletes the practice's audit trail, which PostgreSQL refuses outside an
        # erasure of the whole workspace (`audit.guards`).
        with django_db_blocker.unblock(), audit_erasure([planted.workspace.pk]):
            next(practice, None)
        return


def plaintexts(planted: Planted) -> set[str]:
    """Every clinical value planted, as its plaintext would appear in storage: the text markers,
    the numbers and the dates (a number or a date carries no marker of its own)."""
    dates = {f"{year}-07-19" if kind == "date" else f"{year}-03-04" for (_, kind), year in YEARS.items()}
    return set(planted.markers) | set(NUMBERS.values()) | dates


def found_in(data: bytes, needles: set[str]) -> set[str]:
    """The needles in `data`, as UTF-8 or as JSON's ASCII escapes (`\\u00e1`)."""
    forms = {n: (n.encode(), json.dumps(n)[1:-1].encode()) for n in needles}
    return {n for n, (utf8, escaped) in forms.items() if utf8 in data or escaped in data}


def owner_reads(api_client: Any, planted: Planted) -> bytes:
    """Everything the owner (and, for the private note, its author) gets back through the API for
    the planted record: the session (notes, phases, therapy fields, addenda), the client, both
    evaluations, every attachment's metadata and bytes, the private note."""
    owner = api_client(planted.owner)
    answers = [
        owner.get(f"sessions/{planted.session_id}"),
        owner.get(f"clients/{planted.client_id}"),
        owner.get(f"evaluations/{planted.evaluation_id}"),
        owner.get(f"evaluations/{planted.admin_evaluation_id}"),
        api_client(planted.therapist).get(f"sessions/{planted.session_id}/private-note"),
    ]
    for pk in planted.attachment_ids:
        answers += [owner.get(f"attachments/{pk}"), owner.get(f"attachments/{pk}/content")]
    body = b""
    for answer in answers:
        assert answer.status_code == 200, (answer.status_code, answer.content[:300])
        body += b"".join(answer.streaming_content) if answer.streaming else answer.content
        body += b"\n"
    return body


def raw_database() -> tuple[str, bytes]:
    """(how it was read, the bytes): the SQLite database file and its WAL, or a PostgreSQL dump."""
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        parts = [p for p in (name, Path(f"{name}-wal"), Path(f"{name}-journal")) if p.exists()]
        return " + ".join(p.name for p in parts), b"".join(p.read_bytes() for p in parts)
    dumped = _pg_dump()
    if dumped is not None:
        return "pg_dump", dumped
    return "COPY TO STDOUT of every table", _copy_every_table()


def _pg_dump() -> bytes | None:
    candidates = [
        shutil.which("pg_dump"),
        *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True),
    ]
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    args = ["--no-owner", "-h", str(db.get("HOST") or "localhost"), "-p", str(db.get("PORT") or 5432)]
    args += ["-U", str(db.get("USER") or "postgres"), "-d", str(db["NAME"])]
    for binary in filter(None, candidates):
        result = subprocess.run([binary, *args], capture_output=True, env=env, timeout=300, check=False)
        if result.returncode == 0:
            return result.stdout
    return None  # none installed, or none of a version that dumps this server


def _copy_every_table() -> bytes:
    out = b""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in connection.introspection.table_names(cursor):
            with raw.copy(f'COPY "{table}" TO STDOUT') as copy:
                for chunk in copy:
                    out += bytes(chunk)
    return out


def attachment_files() -> bytes:
    root = Path(settings.ATTACHMENTS_ROOT)
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())
