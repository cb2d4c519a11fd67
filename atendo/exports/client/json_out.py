"""The client record as JSON: complete, with the field definitions needed to read the values,
written as it is read (sessions a batch at a time), one item per line.

    {"format": "atendo.client-record", "version": 1, "exported_at", "exported_by", "workspace",
     "client", "definitions", "therapy_types", "practitioners", "sessions", "evaluations",
     "payments", "invoices", "attachments", "withheld"}

Each item is the API's JSON for it (the same serializers, so the same redaction and the same
`withheld` per item); `withheld` at the end names the parts left out for this reader.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from django.utils import timezone

from atendo.exports.client.record import Record

FORMAT = "atendo.client-record"
VERSION = 1


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class JsonStream:
    """A JSON object written key by key; arrays item by item."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.first = True

    def _key(self, key: str) -> None:
        self.out.write(b"{\n" if self.first else b",\n")
        self.first = False
        self.out.write(_dumps(key) + b":")

    def field(self, key: str, value: Any) -> None:
        self._key(key)
        self.out.write(_dumps(value))

    def array(self, key: str, items: Iterable[Any]) -> int:
        self._key(key)
        self.out.write(b"[")
        count = 0
        for item in items:
            self.out.write(b"\n" if count == 0 else b",\n")
            self.out.write(_dumps(item))
            count += 1
        self.out.write(b"\n]" if count else b"]")
        return count

    def close(self) -> None:
        self.out.write(b"{}\n" if self.first else b"\n}\n")


def header(record: Record) -> dict[str, Any]:
    member = record.member
    workspace = record.workspace
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().astimezone(workspace.tz).isoformat(timespec="seconds"),
        "exported_by": {"member_id": member.pk, "name": member.display_name, "email": member.user.email},
        "workspace": {
            "name": workspace.name,
            "slug": workspace.slug,
            "timezone": workspace.timezone,
            "currency": workspace.currency,
        },
    }


def practitioner_json(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "name": m.display_name,
        "email": m.user.email,
        "role": m.role.name,
        "profession": m.profession,
        "registration": m.registration,
    }


def write(record: Record, out: IO[bytes]) -> None:
    stream = JsonStream(out)
    for key, value in header(record).items():
        stream.field(key, value)
    stream.field("client", record.client_json())
    stream.field("definitions", record.definitions_json())
    stream.field("therapy_types", record.therapy_types())
    stream.field("practitioners", [practitioner_json(m) for m in record.practitioners()])
    stream.array("sessions", record.sessions())
    stream.array("evaluations", record.evaluations())
    stream.array("payments", record.payments())
    stream.array("invoices", record.invoices())
    stream.array("attachments", record.attachments_json())
    stream.field("withheld", sorted(record.withheld))
    stream.close()
