"""Logging in with e-mail and password, throttled per account and per address; logging out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from atendo.accounts import throttle
from atendo.accounts.models import LoginFailure

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
THROTTLE = {"LOGIN_THROTTLE_MAX_FAILURES": 3, "LOGIN_THROTTLE_WINDOW_SECONDS": 600}


def post_login(client: Client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_owner_logs_in_with_email_and_password(owner):
    client = Client()
    response = post_login(client, "Owner@Serena.test", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.user.pk)


def test_login_page_renders_labelled_fields(db):
    html = Client().get("/login/").content.decode()
    assert '<label for="id_username">E-mail' in html
    assert '<label for="id_password">Password' in html
    assert 'href="/password-reset/"' in html


def test_wrong_password_is_refused_and_counted(owner):
    client = Client()
    response = post_login(client, owner.user.email, "nope")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(email=owner.user.email, ip="10.0.0.1").count() == 1


@override_settings(**THROTTLE)
def test_after_too_many_failures_even_the_right_password_is_refused(owner):
    client = Client()
    for _ in range(3):
        post_login(client, owner.user.email, "nope")
    response = post_login(client, owner.user.email, PASSWORD, ip="10.9.9.9")
    assert response.status_code == 200
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "try again in 10 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(**THROTTLE)
def test_refused_attempts_while_locked_do_not_extend_the_lock(owner):
    for _ in range(3):
        post_login(Client(), owner.user.email, "nope")
    post_login(Client(), owner.user.email, "nope")
    assert LoginFailure.objects.count() == 3


@override_settings(**THROTTLE)
def test_the_lock_lifts_when_the_window_has_passed(owner):
    client = Client()
    for _ in range(3):
        post_login(client, owner.user.email, "nope")
    LoginFailure.objects.update(at=timezone.now() - dt.timedelta(seconds=601))
    response = post_login(client, owner.user.email, PASSWORD)
    assert response.status_code == 302


@override_settings(**THROTTLE)
def test_a_success_clears_the_accounts_failures(owner):
    client = Client()
    for _ in range(2):
        post_login(client, owner.user.email, "nope")
    assert post_login(client, owner.user.email, PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(email=owner.user.email).exists()
    client.post("/logout/")
    for _ in range(2):
        post_login(client, owner.user.email, "nope")
    assert post_login(client, owner.user.email, PASSWORD).status_code == 302


@override_settings(**THROTTLE, LOGIN_THROTTLE_MAX_FAILURES_PER_IP=4)
def test_one_address_guessing_many_accounts_is_throttled(owner, therapist):
    client = Client()
    for i in range(4):
        post_login(client, f"nobody{i}@serena.test", "nope", ip="203.0.113.7")
    response = post_login(client, therapist.user.email, PASSWORD, ip="203.0.113.7")
    assert "Too many failed log-in attempts" in response.content.decode()
    # The same account from another address is not affected by that address's failures.
    assert post_login(Client(), therapist.user.email, PASSWORD, ip="198.51.100.1").status_code == 302


@override_settings(**THROTTLE)
def test_failures_outside_the_window_are_pruned(owner):
    LoginFailure.objects.create(email="old@x.test", ip="10.0.0.2", at=timezone.now() - dt.timedelta(hours=2))
    throttle.record_failure(email="new@x.test", ip="10.0.0.2")
    assert list(LoginFailure.objects.values_list("email", flat=True)) == ["new@x.test"]


@override_settings(**THROTTLE)
def test_the_lock_message_counts_down(owner):
    for _ in range(3):
        throttle.record_failure(email=owner.user.email, ip=None)
    LoginFailure.objects.update(at=timezone.now() - dt.timedelta(seconds=500))
    lock = throttle.check(email=owner.user.email.upper(), ip=None)
    assert lock is not None
    assert lock.minutes_left == 2


def test_inactive_user_cannot_log_in(owner):
    owner.user.is_active = False
    owner.user.save()
    response = post_login(Client(), owner.user.email, PASSWORD)
    assert response.status_code == 200


def test_logout_needs_a_post(owner, page_client):
    client = page_client(owner)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_login_redirects_to_next(owner):
    client = Client()
    response = client.post(
        "/login/", {"username": owner.user.email, "password": PASSWORD, "next": "/w/serena/settings/"}
    )
    assert response["Location"] == "/w/serena/settings/"


def test_login_refuses_foreign_next(owner):
    client = Client()
    response = client.post(
        "/login/", {"username": owner.user.email, "password": PASSWORD, "next": "https://evil.test/"}
    )
    assert response["Location"] == "/"


def test_the_chosen_language_is_remembered_on_the_account(owner, page_client):
    client = page_client(owner)
    response = client.post("/account/language/", {"language": "pt-br", "next": "/w/serena/settings/"})
    assert response.status_code == 302 and response["Location"] == "/w/serena/settings/"
    owner.user.refresh_from_db()
    assert owner.user.language == "pt-br"
    # Another device: logging in brings the language back.
    other = Client()
    login = post_login(other, owner.user.email, PASSWORD)
    assert login.cookies["django_language"].value == "pt-br"
    page = other.get("/w/serena/settings/").content.decode()
    assert '<html lang="pt-br">' in page and "Configurações" in page


def test_an_unknown_language_changes_nothing(owner, page_client):
    client = page_client(owner)
    client.post("/account/language/", {"language": "xx", "next": "/"})
    owner.user.refresh_from_db()
    assert owner.user.language == ""
    assert client.get("/account/language/").status_code == 405


def test_error_pages_render(db, rf):
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "a@b.test", "password": "x"})
    assert response.status_code == 403
    assert "This form had expired" in response.content.decode()
