"""Who may ask for a workspace backup: owner-level permissions (`workspace.manage` and
`clinical.read_all`) and a recent sign-in, by the API and the page; everyone else 403, an
outsider 404; the archive is its requester's only, and asking and downloading are audited."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from atendo.accounts import signin
from atendo.audit.models import AuditEvent
from atendo.exports.models import Export

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"


def ask(client):
    return client.post("exports", {"kind": "workspace", "format": "zip"})


def error(response):
    return response.json()["error"]


@pytest.mark.parametrize("who", ["therapist", "assistant"])
def test_therapist_and_assistant_cannot_ask_for_a_workspace_export(api, request, who):
    member = request.getfixturevalue(who)
    response = ask(api(member))
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    assert not Export.objects.exists()


def test_an_outsider_gets_404(api, owner, outsider):
    assert ask(api(outsider, owner.workspace.slug)).status_code == 404


def test_an_owner_token_without_the_sensitive_scope_gets_reauth_required(api, owner):
    response = ask(api(owner, scopes=[]))
    assert response.status_code == 403 and error(response)["code"] == "reauth_required"
    assert not Export.objects.exists()


def test_an_owner_with_a_stale_browser_sign_in_gets_reauth_required(owner, page_client):
    client = page_client(owner)
    session = client.session
    session[signin.AUTH_AT] -= signin.reauth_window() + 60
    session.save()
    response = client.post(
        f"/api/v1/workspaces/{owner.workspace.slug}/exports",
        {"kind": "workspace", "format": "zip"},
        content_type="application/json",
    )
    assert response.status_code == 403 and error(response)["code"] == "reauth_required"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"kind": "workspace", "format": "json"}, "format"),
        ({"kind": "workspace", "format": "zip", "client_id": 1}, "client_id"),
        ({"kind": "workspace", "format": "zip", "options": {"x": 1}}, "options.x"),
    ],
)
def test_bad_input_is_a_422_at_its_path(api, owner, body, path):
    response = api(owner).post("exports", body)
    assert response.status_code == 422
    assert [f["path"] for f in error(response)["fields"]] == [path]


def test_the_owner_gets_the_archive_and_no_one_else_does(api, owner, assistant, therapist):
    response = ask(api(owner))
    assert response.status_code == 202
    export = response.json()
    assert export["status"] == "ready" and export["kind"] == "workspace"
    download = api(owner).get(f"exports/{export['id']}/download")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["format"], manifest["version"]) == ("atendo-workspace", 1)
    assert manifest["workspace"]["slug"] == owner.workspace.slug
    for member in (assistant, therapist):
        assert api(member).get(f"exports/{export['id']}/download").status_code == 404
        assert api(member).get(f"exports/{export['id']}").status_code == 404
    actions = set(AuditEvent.objects.for_workspace(owner.workspace).values_list("action", flat=True))
    assert {"export.request", "backup.export", "export.ready", "export.download"} <= actions


# --- the page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["therapist", "assistant"])
def test_the_page_is_403_for_therapist_and_assistant(page_client, request, who):
    member = request.getfixturevalue(who)
    client = page_client(member)
    slug = member.workspace.slug
    assert client.get(f"/w/{slug}/backup/").status_code == 403
    assert client.post(f"/w/{slug}/backup/new/").status_code == 403
    assert not Export.objects.exists()


def test_the_owner_backs_up_from_the_page(page_client, owner):
    client = page_client(owner)
    slug = owner.workspace.slug
    page = client.get(f"/w/{slug}/backup/")
    assert page.status_code == 200 and "Back up now" in page.content.decode()
    response = client.post(f"/w/{slug}/backup/new/")
    assert response.status_code == 302 and response["Location"] == f"/w/{slug}/exports/"
    export = Export.objects.get()
    assert (export.kind, export.format, export.status) == ("workspace", "zip", "ready")


def test_a_stale_sign_in_on_the_page_asks_for_the_password_first(page_client, owner):
    client = page_client(owner)
    session = client.session
    session[signin.AUTH_AT] -= signin.reauth_window() + 60
    session.save()
    response = client.post(f"/w/{owner.workspace.slug}/backup/new/")
    assert response.status_code == 302 and response["Location"].startswith("/account/confirm/")
    assert not Export.objects.exists()
