"""Concurrency of session writes, with real threads and real transactions (run on SQLite and on
PostgreSQL): 50 simultaneous bookings of one slot with double booking prevented give exactly one
session; 50 simultaneous edits based on the same version give exactly one write."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connections
from django.test import Client as HttpClient

from atendo.clients.models import Client
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_create
from atendo.workspaces.tokens import api_token_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 50


def _run_concurrently(requests: list[Any]) -> list[Any]:
    """Run each callable in its own thread, all released together; returns their results."""
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = requests[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _http(member) -> HttpClient:
    _token, raw = api_token_create(member=member, name="concurrency")
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_fifty_simultaneous_bookings_of_one_slot_give_exactly_one_session(workspace, owner, therapist):
    workspace.prevent_double_booking = True
    workspace.save()
    clients = [Client.objects.create(workspace=workspace, name=f"Client {i}") for i in range(THREADS)]
    http = [_http(owner) for _ in range(THREADS)]
    url = "/api/v1/workspaces/serena/sessions"

    def booking(i: int) -> Any:
        body = {
            "name": f"Booking {i}",
            "client_id": clients[i].pk,
            "practitioner_id": therapist.pk,
            "starts_at": "2026-03-10T10:00",
            "duration_minutes": 60,
        }
        return http[i].post(url, body, content_type="application/json")

    responses = _run_concurrently([lambda i=i: booking(i) for i in range(THREADS)])
    statuses = Counter(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == {201: 1, 409: THREADS - 1}, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"overlap"}
    assert Session.objects.filter(practitioner=therapist).count() == 1


def test_fifty_simultaneous_edits_of_one_version_give_exactly_one_write(workspace, owner):
    client = Client.objects.create(workspace=workspace, name="Ana")
    session = session_create(
        member=owner, client_id=client.pk, name="Original", starts_at="2026-03-10T10:00"
    ).session
    http = [_http(owner) for _ in range(THREADS)]
    url = f"/api/v1/workspaces/serena/sessions/{session.pk}"

    def edit(i: int) -> Any:
        return http[i].patch(url, {"version": 1, "name": f"Edit {i}"}, content_type="application/json")

    responses = _run_concurrently([lambda i=i: edit(i) for i in range(THREADS)])
    statuses = Counter(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == {200: 1, 409: THREADS - 1}, statuses
    winner = next(r for r in responses if r.status_code == 200).json()["session"]
    stored = Session.objects.get(pk=session.pk)
    assert stored.version == 2 and stored.name == winner["name"]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"version_conflict"}
