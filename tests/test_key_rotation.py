"""`manage.py rotate_keys` (issue 14) on the planted canary practice: new data keys re-encrypt
everything (older keys retired, nothing left under them), a new master key re-wraps the data keys
(the old master then opens nothing), and after each every clinical value still reads back through
the API, the blind-index filter still filters, and the raw database still holds no plaintext."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from atendo.clinical import crypto, rotation
from atendo.clinical.models import WorkspaceKey
from conftest import ApiClient
from tests.canary_data import Planted
from tests.encryption_canary import found_in, owner_reads, plaintexts, planted_and_signed, raw_database

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Planted]:
    yield from planted_and_signed(django_db_blocker, tmp_path_factory, ApiClient)


def _forget_unwrapped_keys() -> None:
    """Drop the process's cache of unwrapped data keys, so the next read unwraps them again with
    the master keys configured now."""
    crypto._data_keys.clear()
    crypto._blind_keys.clear()


def _everything_reads_back(planted: Planted) -> None:
    body = owner_reads(ApiClient, planted)
    assert {value for value in plaintexts(planted) if value.encode() not in body} == set()
    owner = ApiClient(planted.owner)
    assert [s["id"] for s in owner.get("sessions", **{"field.during_sel": "b"}).json()["items"]] == [
        planted.session_id
    ]
    _how, data = raw_database()
    assert found_in(data, plaintexts(planted)) == set()


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def test_rotating_data_keys_then_the_master_key_keeps_everything_readable(planted):
    workspace_id = planted.workspace.pk
    [before] = WorkspaceKey.objects.filter(workspace_id=workspace_id)
    assert set(rotation.uses(workspace_id)) == {before.kid}  # everything sealed, by one key

    # New data keys: everything re-encrypted under the new one, the old one retired (kept).
    log = _run("--data-keys", "--workspace", planted.workspace.slug)
    assert "re-encrypted" in log
    new = WorkspaceKey.objects.filter(workspace_id=workspace_id).order_by("-version").first()
    assert new.kid != before.kid and new.version == 2
    before.refresh_from_db()
    assert before.retired_at is not None
    assert set(rotation.uses(workspace_id)) == {new.kid}
    _everything_reads_back(planted)
    assert f"{new.kid} live" in _run("--status", "--workspace", planted.workspace.slug)

    # A new master key: every data key re-wrapped; with the old master gone all still opens.
    old_master = settings.ATENDO_MASTER_KEY or Path(settings.ATENDO_MASTER_KEY_FILE).read_text().strip()
    new_master = _run("--new-master-key").strip()
    try:
        with override_settings(ATENDO_MASTER_KEY=new_master, ATENDO_OLD_MASTER_KEYS=[old_master]):
            assert "0 left" in _run("--master")
        ring = crypto.master_ring()
        assert set(WorkspaceKey.objects.values_list("master_kid", flat=True)) != {ring.current}
        with override_settings(ATENDO_MASTER_KEY=new_master, ATENDO_OLD_MASTER_KEYS=[]):
            _forget_unwrapped_keys()
            assert set(WorkspaceKey.objects.values_list("master_kid", flat=True)) == {
                crypto.master_ring().current
            }
            _everything_reads_back(planted)
        with override_settings(ATENDO_MASTER_KEY=old_master, ATENDO_OLD_MASTER_KEYS=[]):
            _forget_unwrapped_keys()
            with pytest.raises(ImproperlyConfigured, match="neither ATENDO_MASTER_KEY"):
                crypto.key_by_kid(new.kid, workspace_id)
    finally:
        _forget_unwrapped_keys()
