from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_owner_logs_in_and_lands_in_their_workspace(page, login, owner):
    login(page, owner)
    assert "/w/serena/" in page.url or page.url.endswith("/")
    assert page.get_by_role("link", name="Clients").is_visible()
    assert page.js_errors == []


def test_wrong_password_is_refused(page, login, owner):
    login(page, owner, password="wrong-password")
    assert "/login/" in page.url
