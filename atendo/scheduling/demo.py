"""Demo sessions: about a month around today for the demo workspace.

Weekdays from three weeks ago to two weeks ahead, a few sessions a day for the owner and the
therapist inside working hours (no overlaps), therapy types when the therapies step made them, a
weekly series on Wednesdays, past sessions completed (with notes and phase values for the demo
field definitions) and a few cancelled. Everything goes through the real services.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from atendo.clients.models import Client
from atendo.fields import engine
from atendo.scheduling.services import (
    session_create,
    session_save_phase,
    session_set_status,
    session_update,
)

# (practitioner key in ctx, local start) for each weekday; durations come from the therapy type.
DAY_PLAN = [
    ("owner", dt.time(9, 0)),
    ("therapist", dt.time(9, 0)),
    ("owner", dt.time(10, 30)),
    ("therapist", dt.time(11, 0)),
    ("owner", dt.time(14, 0)),
    ("therapist", dt.time(14, 30)),
    ("therapist", dt.time(16, 0)),
]
NOTES = [
    "Cliente chegou tranquilo; trabalhamos respiração e ancoragem.",
    "Relatou melhora no sono desde a última sessão.",
    "Sessão intensa; combinamos retomar o tema na próxima semana.",
    "Boa abertura para o tema familiar; seguir com cuidado.",
]
MOODS = ["good", "neutral", "low", "anxious"]
ROOMS = ["Sala 1", "Sala 2", "Sala Jardim"]


def _phase_values(keys: set[str], rng: random.Random, phase: str) -> dict[str, Any]:
    """Values for the demo field definitions that exist (the fields step may not have run)."""
    values: dict[str, Any] = {}
    if phase == "pre":
        if "mood_before" in keys:
            values["mood_before"] = rng.choice(MOODS)
        if "room" in keys:
            values["room"] = rng.choice(ROOMS)
        if "intention" in keys:
            values["intention"] = rng.choice(
                ["Relaxar", "Clareza", "Lidar com a ansiedade", "Autoconhecimento"]
            )
    elif phase == "during":
        if "observations" in keys:
            values["observations"] = rng.choice(NOTES)
        if "intensity" in keys:
            values["intensity"] = rng.randint(2, 9)
    elif phase == "post" and "homework" in keys:
        values["homework"] = rng.choice(["Diário de gratidão", "Caminhada diária", "Exercício de respiração"])
    return values


def seed(ctx: dict[str, Any]) -> None:
    workspace, owner = ctx["workspace"], ctx["owner"]
    members = {"owner": owner, "therapist": ctx["therapist"]}
    clients = list(ctx.get("clients") or Client.objects.for_workspace(workspace).filter(archived=False))
    if not clients:
        clients = [
            Client.objects.create(workspace=workspace, name=name)
            for name in ("Mariana Souza", "João Pereira", "Beatriz Lima", "Rafael Costa")
        ]
    therapy_types = list(ctx.get("therapy_types") or [])
    defs = engine.definitions_for(workspace=workspace, scope="session")
    # A phase with a required field is left empty rather than guessed at.
    required = {d.phase for d in defs if d.required}
    keys_by_phase = {
        p: set() if p in required else {d.key for d in defs if d.phase == p}
        for p in ("pre", "during", "post")
    }
    rng = random.Random(20260301)  # noqa: S311 - demo data, repeatable on purpose
    tz = workspace.tz
    now = timezone.now()
    today = now.astimezone(tz).date()
    first_day = today - dt.timedelta(days=21)
    made: list[Any] = []

    def book(member: Any, client: Any, when: dt.datetime, therapy_type: Any = None, **extra: Any) -> Any:
        name = f"Sessão de {therapy_type.name}" if therapy_type is not None else "Sessão"
        result = session_create(
            member=owner,
            client_id=client.pk,
            name=name,
            practitioner_id=member.pk,
            therapy_type_id=therapy_type.pk if therapy_type is not None else None,
            starts_at=when.replace(tzinfo=None).isoformat(timespec="minutes"),
            fields={"pre": _phase_values(keys_by_phase["pre"], rng, "pre")},
            **extra,
        )
        made.append(result.session)
        return result

    # A weekly series on Wednesdays at 17:00 with the therapist, from three weeks ago, eight times.
    wednesday = first_day + dt.timedelta(days=(2 - first_day.weekday()) % 7)
    series_client = clients[1 % len(clients)]
    book(
        members["therapist"],
        series_client,
        dt.datetime.combine(wednesday, dt.time(17, 0)),
        therapy_types[0] if therapy_types else None,
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=8"},
    )
    series_sessions = list(made[0].series.sessions.order_by("starts_at")) if made[0].series_id else []
    made = series_sessions or made

    index = 0
    for offset in range(0, 36):
        day = first_day + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        # Leave some gaps so the calendar shows free time.
        for who, start in DAY_PLAN:
            if rng.random() < 0.3:
                continue
            client = clients[index % len(clients)]
            index += 1
            if client.pk == series_client.pk and day.weekday() == 2:
                continue
            therapy_type = therapy_types[index % len(therapy_types)] if therapy_types else None
            book(members[who], client, dt.datetime.combine(day, start), therapy_type)

    for i, session in enumerate(sorted(made, key=lambda s: s.starts_at)):
        if session.ends_at > now:
            if i % 11 == 5:  # a few future cancellations
                session_set_status(
                    member=owner, session_id=session.pk, status="cancelled", version=session.version
                )
            continue
        if i % 9 == 4:
            session_set_status(
                member=owner, session_id=session.pk, status="cancelled", version=session.version
            )
            continue
        version = session.version
        for phase in ("during", "post"):
            values = _phase_values(keys_by_phase[phase], rng, phase)
            if values:
                version = session_save_phase(
                    member=owner, session_id=session.pk, phase=phase, values=values, version=version
                ).session.version
        version = session_update(
            member=owner, session_id=session.pk, version=version, changes={"notes": rng.choice(NOTES)}
        ).session.version
        session_set_status(member=owner, session_id=session.pk, status="completed", version=version)
    ctx["sessions"] = made
