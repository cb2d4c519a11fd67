from __future__ import annotations

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from atendo.workspaces.services import member_add

pytestmark = pytest.mark.django_db(transaction=True)


def test_owner_logs_in_and_lands_in_their_workspace(page, login, owner):
    login(page, owner)
    assert "/w/serena/" in page.url or page.url.endswith("/")
    assert page.get_by_role("link", name="Clients").is_visible()
    assert page.js_errors == []


def test_wrong_password_is_refused(page, login, owner):
    login(page, owner, password="wrong-password")
    assert "/login/" in page.url
    expect(page.get_by_role("alert")).to_contain_text("do not match")


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=2)
def test_after_repeated_failures_login_is_paused_even_with_the_right_password(page, login, owner, shot):
    login(page, owner, password="wrong-1")
    login(page, owner, password="wrong-2")
    login(page, owner)
    assert "/login/" in page.url
    expect(page.get_by_role("alert")).to_contain_text("Too many failed log-in attempts")
    shot(page, "login-throttled")


def test_user_logs_out_from_the_account_menu(page, login, owner):
    login(page, owner)
    page.locator("details.usermenu > summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/w/serena/settings/")
    assert "/login/" in page.url


def test_switcher_moves_between_workspaces_and_the_last_one_is_remembered(
    page, login, owner, other_workspace, shot
):
    member_add(workspace=other_workspace, actor=None, email=owner.user.email, role_name="Therapist")
    login(page, owner)
    page.goto("/w/serena/settings/")
    page.locator("details.switcher > summary").click()
    shot(page, "workspace-switcher")
    page.get_by_role("link", name="Outra Prática").click()
    page.wait_for_url("**/w/outra/**")
    # Log out and in again: home opens the workspace used last.
    page.locator("details.usermenu > summary").click()
    page.get_by_role("button", name="Log out").click()
    login(page, owner)
    assert "/w/outra/" in page.url
    assert page.js_errors == []


def test_forgotten_password_link_leads_to_the_reset_form(page, owner, shot):
    page.goto("/login/")
    shot(page, "login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill(owner.user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
