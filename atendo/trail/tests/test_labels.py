"""The trail's labels obey the clinical barrier: an evaluation's title or a clinical file's name is
shown only to readers of that client's clinical content; everyone else reads "Evaluation #12"."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from atendo.clinical.access import practitioners_assign
from atendo.workspaces.models import Membership
from atendo.workspaces.services import member_add, role_create

pytestmark = pytest.mark.django_db

TITLE = "Plano terapêutico sigiloso"
FILE_NAME = "laudo-sigiloso.txt"


@pytest.fixture(autouse=True)
def _attachments_root(settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENTS_ROOT = tmp_path / "files"


def _auditor(owner: Membership, *codes: str) -> Membership:
    role_create(member=owner, name="Auditor", permissions=["audit.read", "client.read", *codes])
    return member_add(workspace=owner.workspace, actor=None, email="audit@serena.test", role_name="Auditor")


def _client(api: Any, owner: Membership) -> int:
    response = api(owner).post("clients", {"name": "Carla Cliente"})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _evaluation(api: Any, owner: Membership, client_id: int, *, clinical: bool = True) -> int:
    response = api(owner).post("evaluations", {"client_id": client_id, "title": TITLE, "clinical": clinical})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _labels(api: Any, member: Membership, object_type: str) -> list[dict[str, Any]]:
    response = api(member).get("audit-events", object_type=object_type)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_a_clinical_evaluation_title_is_neutral_to_an_auditor_without_clinical_access(api, owner):
    client_id = _client(api, owner)
    evaluation_id = _evaluation(api, owner, client_id)
    auditor = _auditor(owner)
    [event] = _labels(api, auditor, "evaluation")
    assert event["object_label"] == f"Evaluation #{evaluation_id}"
    assert event["withheld"] == ["object_label"]
    assert TITLE not in api(auditor).get("audit-events").content.decode()


def test_the_owner_reads_the_evaluation_title_in_the_trail(api, owner):
    client_id = _client(api, owner)
    _evaluation(api, owner, client_id)
    [event] = _labels(api, owner, "evaluation")
    assert event["object_label"] == TITLE
    assert event["withheld"] == []


def test_an_auditor_assigned_to_the_client_reads_its_evaluation_title(api, owner):
    client_id = _client(api, owner)
    _evaluation(api, owner, client_id)
    auditor = _auditor(owner, "clinical.read_own")
    practitioners_assign(member=owner, client_id=client_id, practitioners=[auditor])
    [event] = _labels(api, auditor, "evaluation")
    assert event["object_label"] == TITLE


def test_an_administrative_evaluation_title_stays_readable(api, owner):
    client_id = _client(api, owner)
    _evaluation(api, owner, client_id, clinical=False)
    [event] = _labels(api, _auditor(owner), "evaluation")
    assert event["object_label"] == TITLE


def test_a_clinical_file_name_is_neutral_on_the_trail_page(api, owner, page_client):
    client_id = _client(api, owner)
    upload = SimpleUploadedFile(FILE_NAME, b"conteudo do laudo\n", content_type="text/plain")
    response = api(owner).http.post(
        api(owner).url("attachments"), {"file": upload, "client_id": client_id, "clinical": "true"}
    )
    assert response.status_code == 201, response.content
    attachment_id = response.json()["id"]
    auditor = _auditor(owner)
    html = page_client(auditor).get("/w/serena/settings/audit/").content.decode()
    assert FILE_NAME not in html
    assert f"Attachment #{attachment_id}" in html
    assert FILE_NAME in page_client(owner).get("/w/serena/settings/audit/").content.decode()


def test_the_trail_redacts_a_page_in_constant_queries(api, owner, django_assert_max_num_queries):
    client_id = _client(api, owner)
    for _ in range(5):
        _evaluation(api, owner, client_id)
    auditor = _auditor(owner, "clinical.read_own")
    auditor_api = api(auditor)
    with django_assert_max_num_queries(4):  # token + member, the page, the readable clients
        response = auditor_api.get("audit-events")
    assert response.status_code == 200
