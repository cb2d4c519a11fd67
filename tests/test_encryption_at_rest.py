"""Encryption at rest (issue 14): the raw SQLite file and its WAL, a PostgreSQL dump and the
attachments folder hold none of the canary's clinical values — notes, every phase's clinical
fields, client clinical fields, therapy fields, evaluations, addenda, the private note, attachment
names and bytes — while the API gives every one of them back to its readers, and a filterable
clinical field still filters (its blind index)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from conftest import ApiClient
from tests.canary_data import Planted
from tests.encryption_canary import (
    FILE_CONTROL,
    PLAIN_CONTROLS,
    attachment_files,
    found_in,
    owner_reads,
    plaintexts,
    planted_and_signed,
    raw_database,
)

# One worker builds the module's planted practice once (`make test` runs `--dist loadgroup`).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("encryption-at-rest")]


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Planted]:
    yield from planted_and_signed(django_db_blocker, tmp_path_factory, ApiClient)


def test_the_api_gives_the_owner_every_planted_value(planted):
    body = owner_reads(ApiClient, planted)
    assert {value for value in plaintexts(planted) if value.encode() not in body} == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file: PostgreSQL has its dump")
def test_the_sqlite_file_and_its_wal_hold_no_clinical_plaintext(planted):
    how, data = raw_database()
    assert found_in(data, set(PLAIN_CONTROLS)) == set(PLAIN_CONTROLS), how  # the scan sees the data
    assert found_in(data, plaintexts(planted)) == set(), how


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL")
def test_a_postgresql_dump_holds_no_clinical_plaintext(planted):
    how, data = raw_database()
    assert found_in(data, set(PLAIN_CONTROLS)) == set(PLAIN_CONTROLS), how
    assert found_in(data, plaintexts(planted)) == set(), how


def test_clinical_attachment_bytes_are_sealed_on_disk(planted):
    data = attachment_files()
    assert FILE_CONTROL in data  # an administrative attachment stays as uploaded
    assert {m for m in planted.markers if m.encode() in data} == set()


def test_a_filterable_clinical_field_still_filters(planted):
    owner = ApiClient(planted.owner)
    for phase in ("pre", "during", "post"):
        matched = owner.get("sessions", **{f"field.{phase}_sel": "b"}).json()["items"]
        assert [s["id"] for s in matched] == [planted.session_id], phase
        assert owner.get("sessions", **{f"field.{phase}_sel": "a"}).json()["items"] == [], phase
