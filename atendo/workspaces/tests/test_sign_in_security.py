"""A workspace's sign-in security: two-step verification enforced where it is required (pages and
the browser's API calls; tokens unaffected), and sensitive acts needing a recent sign-in — through
the pages (confirm, then back), the API (403 `reauth_required`) and tokens (the `sensitive` scope)."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client

from atendo.accounts import mfa, signin
from atendo.accounts.models import ApiToken
from atendo.workspaces.models import Role
from tests.factories import PASSWORD, ClientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("totp_clock")]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(offset: int = 0) -> str:
    totp = pyotp.TOTP(SECRET)
    return totp.generate_otp(totp.timecode(mfa.timezone.now()) + offset)


def require_mfa(workspace, rule: str = "clinical") -> None:
    workspace.mfa_required = rule
    workspace.save(update_fields=["mfa_required"])


def stale(client: Client) -> Client:
    """The person logged in longer ago than the re-authentication window."""
    session = client.session
    session[signin.AUTH_AT] -= signin.reauth_window() + 60
    session.save()
    return client


# --- two-step verification required -----------------------------------------------------------------


def test_members_with_clinical_access_are_sent_to_set_it_up(
    workspace, owner, therapist, assistant, page_client
):
    require_mfa(workspace)
    for member in (owner, therapist):
        response = page_client(member).get("/w/serena/settings/")
        assert response.status_code == 302
        assert response["Location"] == "/account/security/two-step/?next=%2Fw%2Fserena%2Fsettings%2F"
    assert page_client(assistant).get("/w/serena/settings/").status_code == 200  # no clinical access


def test_everyone_means_the_assistant_too(workspace, assistant, page_client):
    require_mfa(workspace, "everyone")
    assert (
        page_client(assistant)
        .get("/w/serena/settings/")["Location"]
        .startswith("/account/security/two-step/")
    )


def test_once_set_up_the_workspace_opens(workspace, therapist, page_client):
    require_mfa(workspace)
    client = page_client(therapist)
    client.get("/account/security/two-step/")
    secret = client.session["_atendo_mfa_setup"]
    totp = pyotp.TOTP(secret)
    current = totp.at(mfa.timezone.now())
    client.post("/account/security/two-step/", {"code": current, "next": "/w/serena/settings/"})
    page = client.get("/account/security/recovery-codes/?next=/w/serena/settings/")
    assert 'href="/w/serena/settings/"' in page.content.decode()
    assert client.get("/w/serena/settings/").status_code == 200


def test_a_session_that_has_not_passed_the_second_factor_enters_a_code(workspace, therapist, page_client):
    """Set up on another device after this session logged in: this session owes a code."""
    mfa.totp_enable(user=therapist.user, secret=SECRET, code=code(-1))
    require_mfa(workspace)
    client = page_client(therapist)
    response = client.get("/w/serena/settings/")
    assert response["Location"] == "/account/confirm/?next=%2Fw%2Fserena%2Fsettings%2F"
    confirm = client.get(response["Location"]).content.decode()
    assert 'name="code"' in confirm
    done = client.post(
        "/account/confirm/", {"password": PASSWORD, "code": code(), "next": "/w/serena/settings/"}
    )
    assert done["Location"] == "/w/serena/settings/"
    assert client.get("/w/serena/settings/").status_code == 200


def test_logging_in_with_a_code_satisfies_the_requirement(workspace, therapist):
    mfa.totp_enable(user=therapist.user, secret=SECRET, code=code(-1))
    require_mfa(workspace)
    client = Client()
    client.post("/login/", {"username": therapist.user.email, "password": PASSWORD})
    client.post("/login/verify/", {"code": code()})
    assert client.get("/w/serena/sessions/").status_code == 200


def test_the_browsers_api_calls_are_refused_until_then_and_tokens_are_not(
    workspace, therapist, api, page_client
):
    require_mfa(workspace)
    response = page_client(therapist).get("/api/v1/workspaces/serena/settings")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"
    assert api(therapist).get("settings").status_code == 200  # a token is its own credential


def test_the_requirement_is_a_workspace_setting_on_its_own_page(owner, page_client, api):
    settings = api(owner).get("settings").json()
    assert settings["mfa_required"] == "off"
    assert settings["idle_timeout_clinical_minutes"] == 30
    assert settings["idle_timeout_minutes"] == 240
    html = page_client(owner).get("/w/serena/settings/security/").content.decode()
    assert 'name="mfa_required"' in html and 'name="idle_timeout_clinical_minutes"' in html
    assert (
        'name="mfa_required"' not in page_client(owner).get("/w/serena/settings/workspace/").content.decode()
    )
    bad = api(owner).patch("settings", {"mfa_required": "sometimes", "idle_timeout_minutes": 1})
    assert bad.status_code == 422
    assert {f["path"] for f in bad.json()["error"]["fields"]} == {"mfa_required", "idle_timeout_minutes"}


def test_the_security_page_lists_who_has_it_on(owner, therapist, page_client):
    mfa.totp_enable(user=therapist.user, secret=SECRET, code=code(-1))
    html = page_client(owner).get("/w/serena/settings/security/").content.decode()
    row = html[html.index("therapist@serena.test") :]
    assert row.index("badge-ok") < row.index("</tr>")


def test_only_workspace_managers_change_it(therapist, page_client, api):
    assert page_client(therapist).get("/w/serena/settings/security/").status_code == 403
    assert api(therapist).patch("settings", {"mfa_required": "off"}).status_code == 403


# --- re-authentication for sensitive acts ---------------------------------------------------------


def test_a_role_change_on_the_pages_asks_to_confirm_the_password_then_comes_back(
    owner, therapist, page_client
):
    client = stale(page_client(owner))
    assistant_role = Role.objects.get(workspace=owner.workspace, name="Assistant")
    response = client.post(
        f"/w/serena/settings/members/{therapist.pk}/",
        {"role": assistant_role.pk},
        HTTP_REFERER="http://testserver/w/serena/settings/members/",
    )
    assert response["Location"] == "/account/confirm/?next=%2Fw%2Fserena%2Fsettings%2Fmembers%2F"
    therapist.refresh_from_db()
    assert therapist.role.name == "Therapist"  # nothing changed

    wrong = client.post("/account/confirm/", {"password": "nope", "next": "/w/serena/settings/members/"})
    assert wrong.status_code == 422
    back = client.post("/account/confirm/", {"password": PASSWORD, "next": "/w/serena/settings/members/"})
    assert back["Location"] == "/w/serena/settings/members/"
    client.post(f"/w/serena/settings/members/{therapist.pk}/", {"role": assistant_role.pk})
    therapist.refresh_from_db()
    assert therapist.role.name == "Assistant"


def test_editing_a_role_needs_a_recent_sign_in(owner, page_client):
    client = stale(page_client(owner))
    role = Role.objects.get(workspace=owner.workspace, name="Assistant")
    response = client.post(f"/w/serena/settings/roles/{role.pk}/", {"name": "Front desk", "permissions": []})
    assert response["Location"].startswith("/account/confirm/")
    role.refresh_from_db()
    assert role.name == "Assistant"


def test_a_fresh_sign_in_does_a_sensitive_act_at_once(owner, page_client):
    role = Role.objects.get(workspace=owner.workspace, name="Assistant")
    response = page_client(owner).post(
        f"/w/serena/settings/roles/{role.pk}/", {"name": "Front desk", "permissions": ["session.read"]}
    )
    assert response["Location"] == "/w/serena/settings/roles/"


def test_htmx_is_sent_to_confirm_with_hx_redirect(owner, therapist, page_client):
    client = stale(page_client(owner))
    response = client.post(
        f"/w/serena/settings/members/{therapist.pk}/remove/",
        HTTP_HX_REQUEST="true",
        HTTP_REFERER="http://testserver/w/serena/settings/members/",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/account/confirm/?next=")


def test_the_browsers_api_call_answers_reauth_required(owner, page_client):
    client = stale(page_client(owner))
    role = Role.objects.get(workspace=owner.workspace, name="Assistant")
    response = client.patch(
        f"/api/v1/workspaces/serena/roles/{role.pk}", {"name": "Front desk"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauth_required"
    role.refresh_from_db()
    assert role.name == "Assistant"


def test_a_token_without_the_sensitive_scope_is_refused_sensitive_acts(owner, therapist, api):
    plain = api(owner, scopes=[])
    role = Role.objects.get(workspace=owner.workspace, name="Assistant")
    response = plain.patch(f"roles/{role.pk}", {"name": "Front desk"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauth_required"
    assert "sensitive" in response.json()["error"]["message"]
    # Everything else works as before.
    assert plain.get("settings").status_code == 200
    assert plain.patch("settings", {"slot_minutes": 15}).status_code == 200
    assert plain.patch("settings", {"idle_timeout_minutes": 60}).status_code == 403
    # With the scope, the same act is done.
    assert api(owner).patch(f"roles/{role.pk}", {"name": "Front desk"}).status_code == 200


def test_assigning_a_practitioner_is_a_sensitive_act(owner, therapist, api):
    client = ClientFactory(workspace=owner.workspace)
    plain = api(owner, scopes=[])
    response = plain.patch(f"clients/{client.pk}", {"practitioner_ids": [therapist.pk]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauth_required"
    assert api(owner).patch(f"clients/{client.pk}", {"practitioner_ids": [therapist.pk]}).status_code == 200
    # A brand-new client opens nothing yet: creating one with practitioners needs no re-auth.
    created = plain.post("clients", {"name": "Nova Cliente", "practitioner_ids": [therapist.pk]})
    assert created.status_code == 201


def test_making_a_sensitive_token_is_itself_a_sensitive_act(owner, api, page_client):
    plain = api(owner, scopes=[])
    refused = plain.post("api-tokens", {"name": "Sync", "scopes": ["sensitive"]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "reauth_required"
    made = api(owner).post("api-tokens", {"name": "Sync", "scopes": ["sensitive"]})
    assert made.status_code == 201 and made.json()["scopes"] == ["sensitive"]
    assert plain.post("api-tokens", {"name": "Plain"}).json()["scopes"] == []
    assert plain.post("api-tokens", {"name": "X", "scopes": ["admin"]}).status_code == 422

    client = stale(page_client(owner))
    response = client.post("/w/serena/settings/api-tokens/", {"name": "Export job", "sensitive": "on"})
    assert response["Location"].startswith("/account/confirm/")
    assert not ApiToken.objects.filter(name="Export job").exists()
    fresh = page_client(owner)
    fresh.post("/w/serena/settings/api-tokens/", {"name": "Export job", "sensitive": "on"})
    assert ApiToken.objects.get(name="Export job").scopes == ["sensitive"]
    assert "Sensitive acts" in fresh.get("/w/serena/settings/api-tokens/").content.decode()


def test_security_settings_need_a_recent_sign_in_on_the_page(owner, page_client):
    client = stale(page_client(owner))
    data = {"mfa_required": "clinical", "idle_timeout_clinical_minutes": "20", "idle_timeout_minutes": "60"}
    assert client.post("/w/serena/settings/security/", data)["Location"].startswith("/account/confirm/")
    owner.workspace.refresh_from_db()
    assert owner.workspace.mfa_required == "off"
    client.post("/account/confirm/", {"password": PASSWORD})
    assert client.post("/w/serena/settings/security/", data)["Location"] == "/w/serena/settings/security/"
    owner.workspace.refresh_from_db()
    assert (owner.workspace.mfa_required, owner.workspace.idle_timeout_clinical_minutes) == ("clinical", 20)


def test_the_confirm_page_is_throttled_like_logging_in(owner, page_client, settings):
    settings.LOGIN_THROTTLE_MAX_FAILURES = 2
    client = page_client(owner)
    for _ in range(2):
        client.post("/account/confirm/", {"password": "nope"})
    response = client.post("/account/confirm/", {"password": PASSWORD})
    assert "Too many failed attempts" in response.content.decode()


def test_a_user_with_an_authenticator_confirms_with_a_code_too(owner, page_client):
    mfa.totp_enable(user=owner.user, secret=SECRET, code=code(-1))
    client = page_client(owner)
    without = client.post("/account/confirm/", {"password": PASSWORD})
    assert without.status_code == 422
    assert client.post("/account/confirm/", {"password": PASSWORD, "code": code()}).status_code == 302


def test_commands_and_the_worker_act_without_a_sign_in(owner, therapist):
    """A member not resolved by a web door (manage.py, the task worker) is the operator acting."""
    from atendo.workspaces.services import member_update

    role = Role.objects.get(workspace=owner.workspace, name="Assistant")
    assert member_update(member=owner, membership_id=therapist.pk, role_id=role.pk).role == role


def test_the_confirm_page_never_redirects_off_site(owner, page_client):
    response = page_client(owner).post(
        "/account/confirm/", {"password": PASSWORD, "next": "https://evil.test/"}
    )
    assert response["Location"] == "/account/security/"
