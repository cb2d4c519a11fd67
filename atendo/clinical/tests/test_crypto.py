"""`clinical.crypto`: associated data binds each ciphertext to its workspace, table, row, column
(and field key); sealed columns refuse plaintext; the blind index is keyed per workspace; the
development master key is generated under var/ with a warning."""

from __future__ import annotations

import os
import stat

import pytest
from django.test import override_settings

from atendo.clinical import crypto
from atendo.clinical.fields import PlaintextRefused
from atendo.scheduling import sealing
from atendo.scheduling.models import Session
from tests.factories import ClientFactory, StoredSessionFactory

pytestmark = pytest.mark.django_db


def test_a_ciphertext_opens_only_where_it_was_sealed(owner, outsider):
    client = ClientFactory(workspace=owner.workspace)
    first, second = (StoredSessionFactory(client=client, notes=f"Nota {i}") for i in (1, 2))
    ws = owner.workspace_id
    token = first.notes
    assert crypto.open_text(ws, crypto.SESSION_NOTES, first.pk, token) == "Nota 1"
    with pytest.raises(crypto.Undecryptable):  # another row
        crypto.open_text(ws, crypto.SESSION_NOTES, second.pk, token)
    with pytest.raises(crypto.Undecryptable):  # another column of the same row
        crypto.open_text(ws, crypto.EVALUATION_TITLE, first.pk, token)
    with pytest.raises(crypto.Undecryptable):  # another workspace (its key is not theirs)
        crypto.open_text(outsider.workspace_id, crypto.SESSION_NOTES, first.pk, token)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(crypto.Undecryptable):
        crypto.open_text(ws, crypto.SESSION_NOTES, first.pk, tampered)
    # Copied in the database to the other session, it does not read there, through the services.
    Session.objects.filter(pk=second.pk).update(notes=token)
    second.refresh_from_db()
    with pytest.raises(crypto.Undecryptable):
        sealing.open_notes(second)


def test_a_value_opens_only_under_its_own_field_key(owner):
    seal = crypto.sealer(owner.workspace_id)
    envelope = seal.value(crypto.CLIENT_FIELDS, 7, "diagnosis", "F41")
    assert crypto.open_value(owner.workspace_id, crypto.CLIENT_FIELDS, 7, "diagnosis", envelope) == "F41"
    with pytest.raises(crypto.Undecryptable):
        crypto.open_value(owner.workspace_id, crypto.CLIENT_FIELDS, 7, "referral", envelope)
    data = seal.data(crypto.ATTACHMENT_FILE, 3, b"laudo")
    assert crypto.open_data(owner.workspace_id, crypto.ATTACHMENT_FILE, 3, data) == b"laudo"
    with pytest.raises(crypto.Undecryptable):
        crypto.open_data(owner.workspace_id, crypto.ATTACHMENT_FILE, 4, data)


def test_a_sealed_column_refuses_plaintext(owner):
    session = StoredSessionFactory(client=ClientFactory(workspace=owner.workspace))
    with pytest.raises(PlaintextRefused):
        Session.objects.filter(pk=session.pk).update(notes="plaintext")


def test_the_blind_index_is_keyed_per_workspace(owner, outsider):
    column = crypto.SESSION_PHASES["during"]
    ours = crypto.sealer(owner.workspace_id).value(column, 1, "mood", "b", blind=True)
    theirs = crypto.sealer(outsider.workspace_id).value(column, 1, "mood", "b", blind=True)
    again = crypto.sealer(owner.workspace_id).value(column, 2, "mood", "b", blind=True)
    assert ours[crypto.BLIND] == again[crypto.BLIND] != theirs[crypto.BLIND]
    assert crypto.blind_terms(owner.workspace_id, column, "mood", "b") == [ours[crypto.BLIND]]
    assert ours[crypto.SEALED] != again[crypto.SEALED]  # the values themselves never repeat


def test_development_generates_its_master_key_under_var_with_a_warning(tmp_path, capsys):
    path = tmp_path / "var" / "master.key"
    with override_settings(ATENDO_MASTER_KEY="", ATENDO_MASTER_KEY_FILE=path, PRODUCTION=False):
        ring = crypto.master_ring()
        assert "WARNING: ATENDO_MASTER_KEY is not set" in capsys.readouterr().err
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert crypto.master_ring().current == ring.current  # the same key, read back, no warning
        assert capsys.readouterr().err == ""
    with override_settings(ATENDO_MASTER_KEY="", ATENDO_MASTER_KEY_FILE=tmp_path / "p.key", PRODUCTION=True):
        assert "needs ATENDO_MASTER_KEY" in (crypto.check_master_key() or "")
    assert not (tmp_path / "p.key").exists()
