"""Changing the password, and resetting it through a link sent by e-mail over real SMTP."""

from __future__ import annotations

import datetime as dt
import email
import re
import socket
from collections.abc import Iterator
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from atendo.accounts.models import PasswordResetRequest

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-brand-new-secret-42"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=10,
        ):
            yield inbox
    finally:
        controller.stop()


def test_password_reset_link_arrives_by_smtp_and_sets_a_new_password(owner, smtp_inbox):
    client = Client()
    response = client.post("/password-reset/", {"email": "OWNER@serena.test"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"

    assert len(smtp_inbox.messages) == 1
    message = smtp_inbox.messages[0]
    assert message["X-Rcpt-To"] == "owner@serena.test"
    assert message["Subject"] == "Reset your Atendo password"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", body)
    assert link, body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/password-reset/complete/"

    owner.user.refresh_from_db()
    assert owner.user.check_password(NEW_PASSWORD)
    # The link works once only.
    again = client.get(link.group(1), follow=True)
    assert "This link no longer works" in again.content.decode()
    login = Client().post("/login/", {"username": owner.user.email, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(db, smtp_inbox):
    response = Client().post("/password-reset/", {"email": "nobody@nowhere.test"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert smtp_inbox.messages == []


def test_password_reset_with_a_forged_token_is_refused(owner):
    page = Client().get("/password-reset/MQ/forged-token/", follow=True)
    assert "This link no longer works" in page.content.decode()


def test_password_change_needs_the_old_password(owner, page_client):
    client = page_client(owner)
    response = client.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    owner.user.refresh_from_db()
    assert owner.user.check_password(PASSWORD)

    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password(NEW_PASSWORD)
    # Still logged in on this device.
    assert client.get("/account/password/done/").status_code == 200


def test_password_change_page_needs_login(db):
    response = Client().get("/account/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- throttling: nobody can flood a mailbox, and the answer never tells -----------------------


def ask_reset(email: str, ip: str = "198.51.100.1") -> Any:
    return Client(REMOTE_ADDR=ip).post("/password-reset/", {"email": email})


def test_reset_emails_to_one_address_stop_after_the_limit(owner, smtp_inbox, settings):
    settings.PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL = 2
    for i in range(5):  # from different client addresses: the limit is the mailbox's
        response = ask_reset("owner@serena.test", ip=f"198.51.100.{i + 1}")
        assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert len(smtp_inbox.messages) == 2


def test_reset_requests_from_one_client_address_stop_after_the_limit(owner, therapist, smtp_inbox, settings):
    settings.PASSWORD_RESET_THROTTLE_MAX_PER_IP = 3
    for address in ["owner@serena.test", "nobody@nowhere.test", "therapist@serena.test", "owner@serena.test"]:
        ask_reset(address, ip="203.0.113.9")
    # Three requests were served (two of them sent mail); the fourth sent nothing.
    assert [m["X-Rcpt-To"] for m in smtp_inbox.messages] == ["owner@serena.test", "therapist@serena.test"]
    ask_reset("owner@serena.test", ip="203.0.113.10")
    assert len(smtp_inbox.messages) == 3


def test_a_throttled_reset_answers_like_a_served_one_and_an_unknown_address(owner, smtp_inbox, settings):
    settings.PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL = 1
    served = ask_reset("owner@serena.test")
    throttled = ask_reset("owner@serena.test")
    unknown = ask_reset("nobody@nowhere.test")
    assert len(smtp_inbox.messages) == 1
    answers = [(r.status_code, r["Location"], r.content) for r in (served, throttled, unknown)]
    assert answers[0] == answers[1] == answers[2]
    # The page a browser lands on, less its per-visitor CSRF tokens.
    pages = [
        re.sub(rb"[A-Za-z0-9]{64}", b"<csrf>", Client().get(r["Location"]).content)
        for r in (served, throttled, unknown)
    ]
    assert pages[0] == pages[1] == pages[2]


def test_reset_emails_flow_again_once_the_window_has_passed(owner, smtp_inbox, settings):
    settings.PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL = 1
    ask_reset("owner@serena.test")
    ask_reset("owner@serena.test")
    assert len(smtp_inbox.messages) == 1
    window = dt.timedelta(seconds=settings.PASSWORD_RESET_THROTTLE_WINDOW_SECONDS)
    PasswordResetRequest.objects.update(at=timezone.now() - window - dt.timedelta(seconds=1))
    ask_reset("owner@serena.test")
    assert len(smtp_inbox.messages) == 2


def test_reset_requests_for_addresses_without_an_account_count_too(owner, smtp_inbox, settings):
    # Otherwise the throttle itself would tell which addresses have an account.
    settings.PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL = 1
    ask_reset("nobody@nowhere.test")
    assert PasswordResetRequest.objects.filter(email="nobody@nowhere.test").count() == 1
    ask_reset("nobody@nowhere.test")
    assert PasswordResetRequest.objects.filter(email="nobody@nowhere.test").count() == 1


def test_a_reset_does_the_same_work_for_a_known_and_an_unknown_address(owner, settings):
    """No timing tell: the page runs the same statements for both (the throttle, the account
    lookup, one queued task) and writes no e-mail itself; the task holds account ids, never the
    address or a token, and the worker writes the e-mail to the known account only."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks import default_task_backend

    from atendo.accounts.forms import reset_mail_send

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    shapes = []
    for address in ("owner@serena.test", "stranger@nowhere.test"):
        with CaptureQueriesContext(connection) as queries:
            response = Client().post("/password-reset/", {"email": address})
        assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
        shapes.append([re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries])
    assert shapes[0] == shapes[1]
    assert mail.outbox == []
    queued = list(default_task_backend.results)
    assert [r.task.name for r in queued] == ["send_password_reset", "send_password_reset"]
    assert [r.args[0] for r in queued] == [[owner.user.pk], []]
    assert "@" not in repr([r.args for r in queued])
    assert [
        reset_mail_send(r.args[0], domain=r.args[1], use_https=r.args[2], language=r.args[3]) for r in queued
    ] == [1, 0]
    [message] = mail.outbox
    assert message.to == ["owner@serena.test"]
    assert re.search(r"http://testserver/password-reset/[^/\s]+/[^/\s]+/", message.body)
