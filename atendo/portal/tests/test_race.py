"""Single use under a race, with real threads and real transactions (SQLite and PostgreSQL): ten
clicks on one link at once open exactly one portal session."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connections
from django.test import Client as HttpClient

from atendo.portal import services
from atendo.portal.links import COOKIE
from atendo.portal.models import PortalSession
from atendo.portal.tests.conftest import token_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 10


def test_ten_simultaneous_clicks_on_one_link_open_one_session(owner, alice):
    services.portal_link_send(member=owner, client_id=alice.pk, channel="email")
    token = token_in(mail.outbox[-1].body)
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def click(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = HttpClient(REMOTE_ADDR=f"10.0.1.{i}").post(f"/portal/enter/{token}/")
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [r for r in results if isinstance(r, Exception)], results
    opened = [r for r in results if r.status_code == 302 and COOKIE in r.cookies]
    assert len(opened) == 1
    assert all(b"already used" in r.content for r in results if r not in opened)
    assert PortalSession.objects.count() == 1
