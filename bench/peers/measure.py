"""Times one peer case (run with the peers' virtualenv, after `bench.peers.load`):
`PEERS_DB=… python -m bench.peers.measure --case scheduler_month_practitioner --reps 5`.

Each case goes through the peer's own code path: django-scheduler's occurrences JSON view
(`GET /schedule/api/occurrences`, what its FullCalendar page asks for), django-appointment's staff
calendar JSON (`GET /appointment/app-admin/appointments/json/`, logged in as the staff member: it
has no range query, the page gets every appointment) and its slot computation
(`services.get_available_slots_for_staff`, per staff member and day). The parameters are drawn like
ours (a random practitioner and month, a random week, a future week), from a fixed seed.

Prints one JSON line per repetition as it ends (`{"rep", "ms", "rows"}`; repetition 0 is the
warm-up, run with the queries counted by an execute wrapper: `"queries"`; Django's query log
stops at 9,000), so the harness keeps what was measured when it
stops a case at its time cap.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.project.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402


class Peers:
    def __init__(self, rng: random.Random):
        from schedule.models import Calendar, Event

        self.rng = rng
        self.tz = timezone.get_current_timezone()
        self.calendars = list(Calendar.objects.order_by("id").values_list("slug", flat=True))
        span = Event.objects.aggregate(first=Min("start"), last=Max("start"))
        self.first_day = span["first"].astimezone(self.tz).date()
        self.last_day = span["last"].astimezone(self.tz).date()
        self.http = Client()

    def random_day(self, margin: int) -> dt.date:
        days = max(1, (self.last_day - self.first_day).days - margin)
        return self.first_day + dt.timedelta(days=self.rng.randrange(days))

    def occurrences(self, first: dt.date, nxt: dt.date, slug: str | None) -> int:
        params = {"start": f"{first}T00:00:00", "end": f"{nxt}T00:00:00", "timezone": str(self.tz)}
        if slug:
            params["calendar_slug"] = slug
        response = self.http.get("/schedule/api/occurrences", params)
        if response.status_code != 200:
            raise RuntimeError(f"occurrences -> {response.status_code}: {response.content[:300]!r}")
        return len(json.loads(response.content))

    # --- the cases: params() -> dict, run(params) -> rows -------------------------------------

    def month_params(self) -> dict[str, Any]:
        first = self.random_day(31).replace(day=1)
        return {
            "slug": self.rng.choice(self.calendars),
            "first": first,
            "next": (first + dt.timedelta(days=32)).replace(day=1),
        }

    def scheduler_month(self, p: dict[str, Any]) -> int:
        return self.occurrences(p["first"], p["next"], p["slug"])

    def week_params(self) -> dict[str, Any]:
        day = self.random_day(7)
        monday = day - dt.timedelta(days=day.weekday())
        return {"first": monday, "next": monday + dt.timedelta(days=7)}

    def scheduler_week(self, p: dict[str, Any]) -> int:
        return self.occurrences(p["first"], p["next"], None)

    def appointment_month(self, p: dict[str, Any]) -> int:
        self.http.force_login(User.objects.get(username=p["slug"]))
        response = self.http.get("/appointment/app-admin/appointments/json/")
        if response.status_code != 200:
            raise RuntimeError(f"appointments -> {response.status_code}: {response.content[:300]!r}")
        body = json.loads(response.content)
        start, end = p["first"].isoformat(), p["next"].isoformat()
        # The page keeps the month's (FullCalendar filters client-side); rows = the month's.
        return sum(1 for a in body["appointments"] if start <= a["start_time"][:10] < end)

    def future_week_params(self) -> dict[str, Any]:
        today = timezone.localdate()
        span = max(7, (self.last_day - today).days - 7)
        day = today + dt.timedelta(days=self.rng.randrange(1, span))
        return {"first": day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=7)}

    def appointment_slots(self, p: dict[str, Any]) -> int:
        from appointment.models import Service, StaffMember
        from appointment.services import get_available_slots_for_staff

        service = Service.objects.first()
        slots = 0
        for staff in StaffMember.objects.order_by("id"):
            for offset in range(7):
                day = p["first"] + dt.timedelta(days=offset)
                slots += len(get_available_slots_for_staff(day, staff, day.isoweekday() % 7, service))
        return slots


class QueryCounter:
    """An execute wrapper counting every query (Django's own query log stops at 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


CASES: dict[str, tuple[str, str]] = {
    # peer case: (params, run)
    "scheduler_month_practitioner": ("month_params", "scheduler_month"),
    "scheduler_week_workspace": ("week_params", "scheduler_week"),
    "appointment_month_practitioner": ("month_params", "appointment_month"),
    "appointment_slots_week_all": ("future_week_params", "appointment_slots"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", required=True, choices=list(CASES))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    peers = Peers(random.Random(args.seed))  # noqa: S311 (reproducible parameters)
    params_name, run_name = CASES[args.case]
    make_params: Callable[[], dict[str, Any]] = getattr(peers, params_name)
    run: Callable[[dict[str, Any]], int] = getattr(peers, run_name)
    for rep in range(args.reps + 1):
        params = make_params()
        line: dict[str, Any] = {"rep": rep}
        print(json.dumps({"started": rep}), flush=True)  # the harness times an unfinished one
        started = time.perf_counter()
        if rep == 0:
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                rows = run(params)
            line["queries"] = counter.count
        else:
            rows = run(params)
        line.update({"ms": round((time.perf_counter() - started) * 1000, 2), "rows": rows})
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
