"""Two-step verification: enrolment, the log-in flow with and without it, codes accepted once,
recovery codes single-use, throttling of wrong codes."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

from atendo.accounts import mfa, signin
from atendo.accounts.models import MfaFailure, RecoveryCode, TotpDevice
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("totp_clock")]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(offset_steps: int = 0, secret: str = SECRET) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(mfa.timezone.now()) + offset_steps)


def enrol(user, secret: str = SECRET) -> list[str]:
    """An authenticator set up the way the page does it (with the code of the step before now, so
    the current code is still unused)."""
    return mfa.totp_enable(user=user, secret=secret, code=code_at(-1, secret))


def log_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR="10.0.0.1", **extra)


def test_login_without_mfa_logs_in_at_once_and_stamps_the_session(owner):
    client = Client()
    response = log_in(client, owner.user.email)
    assert response.status_code == 302
    session = client.session
    assert session["_auth_user_id"] == str(owner.user.pk)
    assert session[signin.LOGIN_AT] == session[signin.AUTH_AT]
    assert signin.MFA_AT not in session
    assert session[signin.IDLE] == 30 * 60  # the owner reads clinical content: 30 minutes


def test_login_with_mfa_asks_for_a_code_before_logging_in(owner):
    enrol(owner.user)
    client = Client()
    response = log_in(client, owner.user.email)
    assert response.status_code == 302
    assert response["Location"] == "/login/verify/"
    assert "_auth_user_id" not in client.session  # not logged in yet
    assert client.get("/w/serena/settings/").status_code == 302  # still the log-in page

    page = client.get("/login/verify/")
    assert 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post("/login/verify/", {"code": code_at()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.user.pk)
    assert signin.MFA_AT in client.session


def test_login_keeps_where_the_person_was_going(owner):
    enrol(owner.user)
    client = Client()
    client.post(
        "/login/?next=/w/serena/settings/",
        {"username": owner.user.email, "password": PASSWORD, "next": "/w/serena/settings/"},
    )
    response = client.post("/login/verify/", {"code": code_at()})
    assert response["Location"] == "/w/serena/settings/"


def test_a_wrong_code_does_not_log_in_and_is_counted(owner):
    enrol(owner.user)
    client = Client()
    log_in(client, owner.user.email)
    response = client.post("/login/verify/", {"code": "000000" if code_at() != "000000" else "111111"})
    assert response.status_code == 422
    assert "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert MfaFailure.objects.filter(user=owner.user).count() == 1


def test_a_code_is_accepted_once(owner):
    enrol(owner.user)
    first, second = Client(), Client()
    code = code_at()
    log_in(first, owner.user.email)
    log_in(second, owner.user.email)
    assert first.post("/login/verify/", {"code": code}).status_code == 302
    # The same code again (read over a shoulder, replayed): refused.
    assert second.post("/login/verify/", {"code": code}).status_code == 422
    assert "_auth_user_id" not in second.session


def test_a_code_of_an_older_step_than_the_last_used_is_refused(owner):
    enrol(owner.user)
    assert mfa.verify_second_factor(user=owner.user, code=code_at(1)) == "totp"
    with pytest.raises(mfa.ValidationFailed):
        mfa.verify_second_factor(user=owner.user, code=code_at(0))


def test_a_recovery_code_logs_in_once(owner):
    codes = enrol(owner.user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    client = Client()
    log_in(client, owner.user.email)
    response = client.post("/login/verify/", {"code": codes[3].upper().replace("-", " ")}, follow=True)
    assert response.redirect_chain[0][0] != "/login/verify/"
    assert "You used a recovery code; 9 are left." in response.content.decode()
    assert RecoveryCode.objects.filter(user=owner.user, used_at__isnull=False).count() == 1

    again = Client()
    log_in(again, owner.user.email)
    assert again.post("/login/verify/", {"code": codes[3]}).status_code == 422
    assert "_auth_user_id" not in again.session


def test_only_hashes_of_recovery_codes_and_no_code_are_stored(owner):
    codes = enrol(owner.user)
    stored = set(RecoveryCode.objects.filter(user=owner.user).values_list("code_hash", flat=True))
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in stored)


@override_settings(MFA_THROTTLE_MAX_FAILURES=3, MFA_THROTTLE_WINDOW_SECONDS=600)
def test_wrong_codes_are_throttled_and_a_right_password_does_not_reset_them(owner):
    enrol(owner.user)
    wrong = "123456" if code_at() != "123456" else "654321"
    client = Client()
    for _ in range(2):
        log_in(client, owner.user.email)
        client.post("/login/verify/", {"code": wrong})
    # The password again (right) does not clear the count of wrong codes.
    log_in(client, owner.user.email)
    client.post("/login/verify/", {"code": wrong})
    log_in(client, owner.user.email)
    response = client.post("/login/verify/", {"code": code_at()})  # the right code, now locked
    assert response.status_code == 200 or response.status_code == 422
    assert "Too many wrong codes" in response.content.decode()
    assert "try again in 10 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(MFA_THROTTLE_MAX_FAILURES=3, MFA_THROTTLE_WINDOW_SECONDS=600)
def test_the_code_throttle_lifts_when_the_failures_age_out(owner):
    enrol(owner.user)
    long_ago = timezone.now() - dt.timedelta(minutes=11)
    MfaFailure.objects.bulk_create([MfaFailure(user=owner.user, at=long_ago) for _ in range(3)])
    assert mfa.verify_second_factor(user=owner.user, code=code_at()) == "totp"
    assert not MfaFailure.objects.filter(user=owner.user).exists()  # a right code clears them


def test_a_pending_login_expires(owner):
    enrol(owner.user)
    client = Client()
    log_in(client, owner.user.email)
    session = client.session
    session["_atendo_mfa_pending"]["at"] -= 301
    session.save()
    response = client.post("/login/verify/", {"code": code_at()})
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_verify_page_without_a_password_step_goes_to_login(db):
    assert Client().get("/login/verify/")["Location"] == "/login/"


# --- enrolment ---------------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_and_needs_a_matching_code(owner, page_client):
    client = page_client(owner)
    page = client.get("/account/security/two-step/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    secret = client.session["_atendo_mfa_setup"]
    assert mfa.grouped(secret) in html
    assert (
        client.get("/account/security/two-step/").content.decode().count(mfa.grouped(secret)) == 1
    )  # stable

    wrong = client.post(
        "/account/security/two-step/", {"code": "000000" if code_at(0, secret) != "000000" else "1"}
    )
    assert wrong.status_code == 422
    assert not TotpDevice.objects.filter(user=owner.user).exists()

    done = client.post("/account/security/two-step/", {"code": code_at(0, secret)})
    assert done["Location"] == "/account/security/recovery-codes/"
    device = TotpDevice.objects.get(user=owner.user)
    assert device.secret == secret
    shown = client.get("/account/security/recovery-codes/")
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", shown.content.decode())
    assert len(codes) == 10
    assert "no-store" in shown["Cache-Control"]
    # Shown once.
    assert client.get("/account/security/recovery-codes/")["Location"] == "/account/security/"
    assert signin.MFA_AT in client.session


def test_a_user_with_no_workspace_can_set_up_two_step_verification(db):
    """Someone who has just signed up (no workspace yet) enrols like anyone else."""
    user = get_user_model().objects.create_user("new@person.test", PASSWORD)
    client = Client()
    log_in(client, user.email)
    assert client.get("/account/security/").status_code == 200
    client.get("/account/security/two-step/")
    secret = client.session["_atendo_mfa_setup"]
    assert client.post("/account/security/two-step/", {"code": code_at(0, secret)}).status_code == 302
    assert TotpDevice.objects.filter(user=user).exists()


def test_setting_up_needs_a_recent_sign_in(owner, page_client):
    client = page_client(owner)
    session = client.session
    session[signin.AUTH_AT] -= 16 * 60
    session.save()
    response = client.get("/account/security/two-step/")
    assert response["Location"] == "/account/confirm/?next=%2Faccount%2Fsecurity%2Ftwo-step%2F"


def test_new_recovery_codes_replace_the_old_ones(owner, page_client):
    old = enrol(owner.user)
    client = page_client(owner)
    assert (
        client.post("/account/security/recovery-codes/new/")["Location"]
        == "/account/security/recovery-codes/"
    )
    new = re.findall(
        r"<code>([a-z2-9-]{14})</code>", client.get("/account/security/recovery-codes/").content.decode()
    )
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(mfa.ValidationFailed):
        mfa.verify_second_factor(user=owner.user, code=old[0])


def test_turning_it_off(owner, page_client):
    enrol(owner.user)
    client = page_client(owner)
    response = client.post("/account/security/two-step/off/", follow=True)
    assert "Two-step verification is off." in response.content.decode()
    assert not TotpDevice.objects.filter(user=owner.user).exists()
    assert not RecoveryCode.objects.filter(user=owner.user).exists()


def test_it_cannot_be_turned_off_where_a_workspace_requires_it(owner, page_client):
    enrol(owner.user)
    owner.workspace.mfa_required = "clinical"
    owner.workspace.save()
    client = page_client(owner)
    session = client.session
    session[signin.MFA_AT] = signin.now()
    session.save()
    response = client.post("/account/security/two-step/off/", follow=True)
    assert "Clínica Serena require two-step verification for you" in response.content.decode()
    assert TotpDevice.objects.filter(user=owner.user).exists()


def test_the_security_page_says_whether_it_is_on(owner, page_client):
    client = page_client(owner)
    assert "Set up two-step verification" in client.get("/account/security/").content.decode()
    enrol(owner.user)
    html = client.get("/account/security/").content.decode()
    assert "10 recovery codes left." in html
    assert "Use another app" in html
