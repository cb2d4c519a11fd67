"""The race, with real threads and real transactions (run on SQLite and PostgreSQL): 20 clients
taking the same slot at once through the public API give exactly one booking; the others hear
"just taken" with the next free slots."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connections
from django.test import Client as HttpClient

from atendo.booking.models import Booking
from atendo.booking.tests.conftest import next_weekday
from atendo.scheduling.models import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 20


def _run_concurrently(requests: list[Any]) -> list[Any]:
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


@pytest.mark.parametrize("anyone", [False, True])
def test_twenty_simultaneous_bookings_of_one_slot_give_exactly_one(
    booking_on, therapist, other_therapist, anyone
):
    if anyone:  # "anyone" with one bookable practitioner: the same race through the other path
        booking_on.practitioner_ids = [therapist.pk]
        booking_on.save()
    start = f"{next_weekday()}T09:00"
    url = "/api/v1/public/serena/bookings"

    def book(i: int) -> Any:
        body = {
            "therapy_type_id": booking_on.therapy_type_ids[0],
            "practitioner_id": None if anyone else therapist.pk,
            "starts_at": start,
            "name": f"Client {i}",
            "email": f"client{i}@example.com",
            "consent": True,
        }
        return HttpClient(REMOTE_ADDR=f"10.0.0.{i}").post(url, body, content_type="application/json")

    responses = _run_concurrently([lambda i=i: book(i) for i in range(THREADS)])
    statuses = Counter(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == {202: 1, 409: THREADS - 1}, statuses
    errors = [r.json()["error"] for r in responses if r.status_code == 409]
    assert {e["code"] for e in errors} == {"slot_taken"}
    assert all(e["next_slots"] and e["next_slots"][0]["starts_at"][11:16] == "10:00" for e in errors)
    assert Session.objects.filter(practitioner=therapist).count() == 1
    assert Booking.objects.count() == 1
