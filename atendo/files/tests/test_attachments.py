"""Attachments: type from the content, size limits, random names on disk, access-checked download."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from atendo.clients.models import Client
from atendo.clinical.models import ClientPractitioner
from atendo.files.models import Attachment
from tests.factories import unsealed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def attachments_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "files"
    return settings.ATTACHMENTS_ROOT


def png_bytes(size=(4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def upload(client, name, data, **form):
    return client.http.post(client.url("attachments"), {"file": SimpleUploadedFile(name, data), **form})


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_detects_type_from_content_and_stores_under_a_random_name(api, owner, attachments_root):
    response = upload(api(owner), "photo.txt", png_bytes(), kind="image")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == "image/png" and body["kind"] == "image" and body["clinical"] is True
    attachment = Attachment.objects.get(pk=body["id"])
    files = stored_files(attachments_root)
    assert len(files) == 1 and "photo" not in files[0].name
    assert attachment.storage_name in str(files[0])
    # Clinical bytes are sealed on disk (clinical.crypto) and open to what was uploaded.
    assert files[0].read_bytes() != png_bytes() and unsealed(attachment, "storage_name") == png_bytes()


@pytest.mark.parametrize(
    ("name", "data", "kind", "status"),
    [
        ("innocent.png", ELF, "image", 415),
        ("innocent.png", ELF, "file", 415),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "image", 415),
        ("doc.pdf", b"%PDF-1.4 hello", "image", 422),
        ("sig.jpg", b"just text", "signature", 422),
        ("empty.txt", b"", "file", 422),
    ],
)
def test_disguised_uploads_are_refused_and_nothing_is_stored(
    api, owner, attachments_root, name, data, kind, status
):
    response = upload(api(owner), name, data, kind=kind)
    assert response.status_code == status, response.json()
    assert response.json()["error"]["fields"][0]["path"] == "file"
    assert not Attachment.objects.exists()
    assert stored_files(attachments_root) == []


def test_oversized_upload_gets_413(api, owner, settings, attachments_root):
    settings.ATTACHMENT_MAX_BYTES = 100
    response = upload(api(owner), "notes.txt", b"x" * 101)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert stored_files(attachments_root) == []


def test_field_limits_apply_to_uploads_for_that_field(api, owner):
    from atendo.fields.models import FieldDefinition

    definition = FieldDefinition.objects.create(
        workspace=owner.workspace,
        scope="client",
        key="consent",
        label="Consent",
        type="file",
        validation={"allowed_types": ["application/pdf"], "max_bytes": 50},
    )
    client = api(owner)
    assert upload(client, "a.txt", b"hello", field_id=definition.pk).status_code == 422
    assert upload(client, "a.pdf", b"%PDF-1.4" + b"x" * 60, field_id=definition.pk).status_code == 413
    ok = upload(client, "a.pdf", b"%PDF-1.4 ok", field_id=definition.pk)
    assert ok.status_code == 201 and ok.json()["kind"] == "file"


def test_download_sends_disposition_and_nosniff(api, owner, page_client):
    client = api(owner)
    attachment_id = upload(client, 'report "final".txt', b"hello there").json()["id"]
    response = client.get(f"attachments/{attachment_id}/content")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"].startswith("text/plain")
    assert b"".join(response.streaming_content) == b"hello there"
    page = page_client(owner).get(f"/w/serena/files/{attachment_id}/")
    assert page.status_code == 200 and page["X-Content-Type-Options"] == "nosniff"


def test_clinical_attachment_obeys_the_barrier(
    api, owner, therapist, other_therapist, assistant, page_client
):
    person = Client.objects.create(workspace=owner.workspace, name="Bruna")
    ClientPractitioner.objects.create(workspace=therapist.workspace, client=person, member=therapist)
    attachment_id = upload(api(owner), "x.png", png_bytes(), kind="image", client_id=person.pk).json()["id"]
    assert api(owner).get(f"attachments/{attachment_id}/content").status_code == 200
    assert api(therapist).get(f"attachments/{attachment_id}/content").status_code == 200
    assert api(other_therapist).get(f"attachments/{attachment_id}/content").status_code == 404
    assert api(assistant).get(f"attachments/{attachment_id}/content").status_code == 404
    assert api(assistant).get(f"attachments/{attachment_id}").status_code == 404
    assert page_client(assistant).get(f"/w/serena/files/{attachment_id}/").status_code == 404
    # An administrative attachment of the same client is readable by every member who reads clients.
    admin_id = upload(api(owner), "y.png", png_bytes(), client_id=person.pk, clinical="false").json()["id"]
    assert api(assistant).get(f"attachments/{admin_id}/content").status_code == 200


def test_delete_removes_the_file_after_commit(api, owner, attachments_root):
    client = api(owner)
    attachment_id = upload(client, "a.txt", b"bye").json()["id"]
    assert len(stored_files(attachments_root)) == 1
    response = client.delete(f"attachments/{attachment_id}")
    assert response.status_code == 204
    assert not Attachment.objects.exists()
    assert stored_files(attachments_root) == []


def test_it_checks_access(api, owner, therapist, outsider, page_client):
    attachment_id = upload(api(owner), "a.txt", b"secret").json()["id"]
    stranger = api(outsider, workspace_slug="serena")
    assert upload(stranger, "b.txt", b"x").status_code == 404
    assert stranger.get(f"attachments/{attachment_id}").status_code == 404
    assert stranger.get(f"attachments/{attachment_id}/content").status_code == 404
    assert stranger.delete(f"attachments/{attachment_id}").status_code == 404
    assert page_client(outsider).get(f"/w/serena/files/{attachment_id}/").status_code == 404
    # From the outsider's own workspace, serena's ids do not exist.
    assert api(outsider).get(f"attachments/{attachment_id}/content").status_code == 404
    # A member without any upload permission gets 403.
    role = therapist.role
    role.permissions = ["session.read"]
    role.save()
    assert upload(api(therapist), "c.txt", b"x").status_code == 403
    # Not yet linked to a record: only the uploader and clinical.read_all readers see it.
    assert api(therapist).get(f"attachments/{attachment_id}").status_code == 404
    assert Attachment.objects.count() == 1


def test_files_go_with_a_deleted_client_after_commit(api, owner, attachments_root):
    person = Client.objects.create(workspace=owner.workspace, name="Bruna")
    upload(api(owner), "a.txt", b"one", client_id=person.pk)
    upload(api(owner), "b.png", png_bytes(), kind="image", client_id=person.pk)
    assert len(stored_files(attachments_root)) == 2
    assert api(owner).delete(f"clients/{person.pk}").status_code == 204
    assert stored_files(attachments_root) == []


def test_a_rolled_back_delete_keeps_the_file(api, owner, attachments_root):
    from django.db import transaction

    attachment_id = upload(api(owner), "a.txt", b"stay").json()["id"]
    with pytest.raises(RuntimeError), transaction.atomic():
        Attachment.objects.filter(pk=attachment_id).delete()
        raise RuntimeError("roll back")
    assert Attachment.objects.filter(pk=attachment_id).exists()
    assert len(stored_files(attachments_root)) == 1


def test_client_field_uploads_join_the_client(api, owner, therapist):
    from atendo.fields.models import FieldDefinition

    FieldDefinition.objects.create(
        workspace=owner.workspace, scope="client", key="photo", label="Photo", type="image"
    )
    photo = upload(api(owner), "p.png", png_bytes(), kind="image").json()["id"]
    created = api(owner).post("clients", {"name": "Ana", "fields": {"photo": photo}}).json()
    assert Attachment.objects.get(pk=photo).client_id == created["id"]
