"""Sign-in security in a real browser: two-step verification enforced where the workspace requires
it, with real TOTP codes (pyotp computes what a phone would show); the idle warning and the
sign-out of an idle session (the stored stamp is moved, nobody sleeps)."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.utils import timezone

from atendo.accounts import signin
from atendo.accounts.models import TotpDevice, UserSession
from atendo.accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db(transaction=True)


def next_code(secret: str, steps_ahead: int = 1) -> str:
    """A code the app shows now or within the next 30 s: never the one enrolment just used."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(timezone.now()) + steps_ahead)


def test_mfa_is_enforced_where_required_with_a_real_totp_code(
    page, login, therapist, shot, browser, live_server
):
    workspace = therapist.workspace
    workspace.mfa_required = "clinical"
    workspace.save(update_fields=["mfa_required"])

    login(page, therapist)
    # Logged in with the password, the therapist is sent to set up an authenticator first.
    assert page.url.startswith(f"{live_server.url}/account/security/two-step/?next=")
    assert page.get_by_text(
        "requires two-step verification for members who read clinical records"
    ).is_visible()
    page.get_by_text("Can't scan it? Type this key instead").click()
    shot(page, "mfa-setup")
    secret = re.sub(r"\s", "", page.locator("#mfa-key").inner_text())
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step verification").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    assert page.locator("#recovery-codes li").count() == 10
    shot(page, "mfa-recovery-codes")
    page.get_by_role("link", name="I saved them — continue").click()
    page.wait_for_load_state("networkidle")
    assert "/w/serena/" in page.url and "/account/" not in page.url
    assert TotpDevice.objects.filter(user=therapist.user).exists()

    # A new browser: the password alone is not enough any more.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    other = context.new_page()
    login(other, therapist)
    assert other.url == f"{live_server.url}/login/verify/"
    assert other.get_by_role("heading", name="Two-step verification").is_visible()
    other.get_by_label("Verification code").fill("000000" if next_code(secret) != "000000" else "111111")
    other.get_by_role("button", name="Verify").click()
    assert other.get_by_text("That code is not right").is_visible()
    shot(other, "mfa-login-verify")
    other.get_by_label("Verification code").fill(next_code(secret))
    other.get_by_role("button", name="Verify").click()
    other.wait_for_load_state("networkidle")
    assert "/w/serena/" in other.url
    context.close()


def test_the_security_page_lists_sessions_and_signs_out_the_others(
    page, login, owner, shot, browser, live_server
):
    context = browser.new_context(base_url=live_server.url, user_agent="Mozilla/5.0 (iPhone) Safari/604.1")
    phone = context.new_page()
    login(phone, owner)
    login(page, owner)
    page.goto("/account/security/")
    assert page.get_by_text("This device").is_visible()
    assert page.locator("table.sessions-table tbody tr").count() == 2
    shot(page, "account-security")
    page.get_by_role("button", name="Sign out everywhere else").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("1 other session was signed out.").is_visible()
    phone.goto("/w/serena/settings/")
    assert "/login/" in phone.url
    context.close()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/account/security/")
    shot(page, "account-security-phone")


def test_the_owner_requires_it_on_the_sign_in_security_page(page, login, owner, shot):
    login(page, owner)
    page.goto("/w/serena/settings/security/")
    page.get_by_label("Require two-step verification").select_option("clinical")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Sign-in security saved.").is_visible()
    owner.workspace.refresh_from_db()
    assert owner.workspace.mfa_required == "clinical"
    # The owner reads clinical content: the page saved redirects to asks them to set it up.
    assert "/account/security/two-step/?next=" in page.url
    page.goto("/w/serena/sessions/")
    assert "/account/security/two-step/" in page.url
    owner.workspace.mfa_required = "off"
    owner.workspace.save(update_fields=["mfa_required"])
    page.goto("/w/serena/settings/security/")
    shot(page, "settings-security")


def test_an_idle_page_warns_then_the_session_ends(page, login, therapist, settings, shot, live_server):
    workspace = therapist.workspace
    workspace.idle_timeout_clinical_minutes = 5
    workspace.save(update_fields=["idle_timeout_clinical_minutes"])
    settings.IDLE_WARNING_SECONDS = 299  # the warning is due a second after the page loads
    login(page, therapist)
    page.goto("/w/serena/settings/")
    dialog = page.locator("#idle-guard")
    dialog.wait_for(state="visible")
    assert page.get_by_text("Are you still there?").is_visible()
    assert re.fullmatch(r"4:\d\d", page.locator("[data-idle-countdown]").inner_text())
    shot(page, "idle-warning")
    # "Stay signed in" tells the server and closes the dialog. With the warning due a second after
    # any reset, it opens again a second later: the close is recorded rather than polled for.
    page.evaluate(
        "document.getElementById('idle-guard').addEventListener('close', () => { window.idleClosed = true; })"
    )
    with page.expect_response(lambda r: r.url.endswith("/account/session/keepalive/")) as keepalive:
        page.get_by_role("button", name="Stay signed in").click()
    assert keepalive.value.status in {200, 204}
    page.wait_for_function("window.idleClosed === true")

    # Nobody touches the page for longer than the timeout (the stored stamp moves back).
    row = UserSession.objects.get(user=therapist.user)
    store = SessionStore(session_key=row.session_key)
    store[signin.SEEN_AT] = store[signin.SEEN_AT] - 6 * 60
    store.save()
    page.reload()
    assert "/login/" in page.url
    assert page.get_by_text("signed out after 5 minutes without activity").is_visible()
    assert not page.js_errors
