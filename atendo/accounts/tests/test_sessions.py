"""Browser sessions: idle sessions end (by moving the stored stamps, never by sleeping), the absolute
lifetime, activity, the session list with "sign out" and "sign out everywhere", and revoking them
on a password change or reset."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from atendo.accounts import signin
from atendo.accounts.models import UserSession
from atendo.accounts.sessions import describe_device, public_id
from tests.factories import PASSWORD, MemberFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def browser(member, *, agent: str = CHROME_WINDOWS, ip: str = "10.0.0.1") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = client.post("/login/", {"username": member.user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def move_back(client: Client, seconds: float, *keys: str) -> None:
    """Pretend the stamps `keys` were set `seconds` earlier."""
    session = client.session
    for key in keys:
        session[key] -= seconds
    session.save()


# --- idle timeout and lifetime ---------------------------------------------------------------------


def test_an_idle_session_of_a_member_with_clinical_access_ends_after_30_minutes(therapist):
    client = browser(therapist)
    assert client.get("/w/serena/settings/").status_code == 200
    move_back(client, 29 * 60, signin.SEEN_AT)
    assert client.get("/w/serena/settings/").status_code == 200  # 29 minutes: still signed in
    move_back(client, 31 * 60, signin.SEEN_AT)
    response = client.get("/w/serena/settings/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/?next=/w/serena/settings/"
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert UserSession.objects.filter(user=therapist.user).count() == 0


def test_a_member_without_clinical_access_gets_the_longer_timeout(assistant):
    client = browser(assistant)
    assert client.session[signin.IDLE] == 240 * 60
    move_back(client, 200 * 60, signin.SEEN_AT, signin.LOGIN_AT)
    assert client.get("/w/serena/settings/").status_code == 200
    move_back(client, 241 * 60, signin.SEEN_AT)
    assert client.get("/w/serena/settings/").status_code == 302


def test_the_timeouts_are_workspace_settings_and_the_strictest_applies(assistant, api, owner):
    assert api(owner).patch("settings", {"idle_timeout_minutes": 15}).status_code == 200
    other = WorkspaceFactory(slug="second", owner_email="someone@second.test")
    MemberFactory(workspace=other, email=assistant.user.email, role="Therapist")  # clinical there: 30
    client = browser(assistant)
    assert client.session[signin.IDLE] == 15 * 60


def test_activity_keeps_the_session_and_asking_how_long_is_left_does_not(therapist):
    client = browser(therapist)
    move_back(client, 25 * 60, signin.SEEN_AT)
    status = client.get("/account/session/").json()
    assert status["authenticated"] is True
    assert 4 * 60 < status["idle_left"] <= 5 * 60
    assert status["idle_timeout"] == 30 * 60
    assert status["warn_before"] == 120
    assert client.get("/account/session/").json()["idle_left"] <= 5 * 60  # asking renewed nothing
    assert client.post("/account/session/keepalive/").status_code == 204
    assert client.get("/account/session/").json()["idle_left"] > 29 * 60


def test_any_page_request_is_activity(therapist):
    client = browser(therapist)
    move_back(client, 25 * 60, signin.SEEN_AT)
    client.get("/w/serena/settings/")
    assert client.get("/account/session/").json()["idle_left"] > 29 * 60


def test_activity_is_written_at_most_once_a_minute(therapist):
    client = browser(therapist)
    client.get("/account/session/")
    before = UserSession.objects.get(user=therapist.user).last_seen_at
    client.get("/w/serena/settings/")
    assert UserSession.objects.get(user=therapist.user).last_seen_at == before  # within the minute


def test_an_ended_session_answers_401_to_the_api_and_redirects_htmx(therapist):
    client = browser(therapist)
    move_back(client, 31 * 60, signin.SEEN_AT)
    assert client.get("/api/v1/workspaces/serena/settings").status_code == 401
    client = browser(therapist)
    move_back(client, 31 * 60, signin.SEEN_AT)
    response = client.get("/w/serena/settings/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=%2Fw%2Fserena%2Fsettings%2F"


def test_the_status_says_when_a_session_ended(therapist):
    client = browser(therapist)
    move_back(client, 31 * 60, signin.SEEN_AT)
    assert client.get("/account/session/").json() == {"authenticated": False}
    assert Client().post("/account/session/keepalive/").status_code == 401


def test_a_session_ends_after_its_absolute_lifetime_however_active(assistant, settings):
    settings.SESSION_MAX_AGE_SECONDS = 12 * 3600
    client = browser(assistant)
    move_back(client, 12 * 3600 - 60, signin.LOGIN_AT)
    assert client.get("/w/serena/settings/").status_code == 200
    move_back(client, 120, signin.LOGIN_AT)
    response = client.get("/w/serena/settings/", follow=True)
    assert "a session lasts at most 12 hours" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- the session list -----------------------------------------------------------------------------


def test_the_session_list_shows_device_address_and_this_device(therapist):
    laptop = browser(therapist, agent=CHROME_WINDOWS, ip="10.0.0.7")
    phone = browser(therapist, agent=SAFARI_IPHONE, ip="10.0.0.8")
    html = laptop.get("/account/security/").content.decode()
    assert "Chrome on Windows" in html and "10.0.0.7" in html
    assert "Safari on iPhone" in html and "10.0.0.8" in html
    assert html.count("This device") == 1
    keys = set(UserSession.objects.filter(user=therapist.user).values_list("session_key", flat=True))
    assert keys == {laptop.session.session_key, phone.session.session_key}
    assert not any(key in html for key in keys)  # the list never shows a session key


def test_signing_out_another_session(therapist):
    laptop = browser(therapist)
    phone = browser(therapist, agent=SAFARI_IPHONE)
    response = laptop.post(
        "/account/security/sessions/sign-out/", {"session": public_id(phone.session.session_key)}, follow=True
    )
    assert "That session was signed out." in response.content.decode()
    assert phone.get("/w/serena/settings/").status_code == 302  # the phone must log in again
    assert laptop.get("/w/serena/settings/").status_code == 200


def test_a_session_of_someone_else_cannot_be_signed_out(therapist, assistant):
    mine = browser(therapist)
    theirs = browser(assistant)
    mine.post("/account/security/sessions/sign-out/", {"session": public_id(theirs.session.session_key)})
    assert theirs.get("/w/serena/settings/").status_code == 200


def test_sign_out_everywhere_else_keeps_this_session(therapist):
    laptop, phone, tablet = browser(therapist), browser(therapist), browser(therapist)
    response = laptop.post("/account/security/sessions/sign-out-all/", follow=True)
    assert "2 other sessions were signed out." in response.content.decode()
    assert phone.get("/w/serena/settings/").status_code == 302
    assert tablet.get("/w/serena/settings/").status_code == 302
    assert laptop.get("/w/serena/settings/").status_code == 200


def test_sign_out_everywhere_ends_this_session_too(therapist):
    laptop, phone = browser(therapist), browser(therapist)
    response = laptop.post("/account/security/sessions/sign-out-all/", {"scope": "all"})
    assert response["Location"] == "/login/"
    assert not UserSession.objects.filter(user=therapist.user).exists()
    assert phone.get("/w/serena/settings/").status_code == 302


def test_an_idle_session_is_not_listed(therapist):
    laptop, phone = browser(therapist), browser(therapist)
    move_back(phone, 31 * 60, signin.SEEN_AT)  # the row's last activity follows the stamp
    html = laptop.get("/account/security/").content.decode()
    assert len(re.findall(r'name="session" value="', html)) == 1


# --- password changes -------------------------------------------------------------------------------


def test_changing_the_password_signs_out_the_other_sessions(therapist):
    laptop, phone = browser(therapist), browser(therapist)
    response = laptop.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-secret-9",
            "new_password2": "a-brand-new-secret-9",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert laptop.get("/w/serena/settings/").status_code == 200
    assert phone.get("/w/serena/settings/").status_code == 302
    assert UserSession.objects.filter(user=therapist.user).count() == 1


def test_resetting_the_password_signs_out_every_session(therapist):
    laptop = browser(therapist)
    Client().post("/password-reset/", {"email": therapist.user.email})
    link = re.search(r"/password-reset/[^/\s]+/[^/\s]+/", mail.outbox[-1].body).group(0)
    stranger = Client()
    form = stranger.get(link, follow=True)
    stranger.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-secret-9", "new_password2": "a-brand-new-secret-9"},
    )
    assert laptop.get("/w/serena/settings/").status_code == 302
    assert not UserSession.objects.filter(user=therapist.user).exists()


def test_devices_are_described_plainly():
    assert describe_device(CHROME_WINDOWS) == "Chrome on Windows"
    assert describe_device(SAFARI_IPHONE) == "Safari on iPhone"
    assert describe_device("") == "Unknown device"
