"""`manage.py seed_bench --sessions N`: a large, realistic data set for `make bench`, built fast.

One large workspace (`bench-large`, America/Sao_Paulo) with an owner, an assistant and 50
practitioners, thousands of clients with custom field values, and about 90% of the sessions; plus
many small workspaces (`bench-small-<i>`, a few members each, assorted time zones) sharing the rest.
Sessions run over several years on weekdays at local business hours in the workspace zone
(30–90 minutes, ~7 a day per practitioner, some before 09:00 or after 18:00, ~3% overlapping the
previous one); past sessions are mostly completed (some cancelled, notes and recording on most),
future ones scheduled (a few cancelled). Notes and clinical values are sealed as the services seal
them (`clinical.crypto`), so the benchmarks pay for opening them.

Sessions go in with raw bulk inserts (executemany on SQLite, COPY on PostgreSQL) in start order, as
a real calendar fills up; every constraint and index stays on. Columns this command does not know
about (added by later migrations) get their model default, so the command keeps working as the
model grows. Everything runs in one transaction; `ANALYZE` runs afterwards.

Running it again refuses while bench data exists; `--reset` deletes the bench workspaces (and only
those: slugs starting with `bench-`, users under `@bench.atendo.test`) first.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from atendo.accounts.models import User
from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.models import ClientPractitioner
from atendo.fields.models import FieldDefinition
from atendo.scheduling.models import Session
from atendo.therapies.models import TherapyType
from atendo.workspaces import permissions
from atendo.workspaces.models import Membership, Role, Workspace

SLUG_PREFIX = "bench-"
LARGE_SLUG = "bench-large"
EMAIL_DOMAIN = "bench.atendo.test"
BENCH_PASSWORD = "atendo-bench"
LARGE_SHARE = 0.9
LARGE_TIMEZONE = "America/Sao_Paulo"
SMALL_TIMEZONES = ("America/Sao_Paulo", "Europe/Lisbon", "America/New_York", "Europe/Berlin", "UTC")
THERAPIES = (("Psicoterapia", "#4f7cac", 50), ("Reiki", "#9b59b6", 60), ("Constelação", "#e67e22", 90))
DURATIONS = (30, 45, 50, 50, 60, 60, 60, 60, 90)
GAPS = (0, 0, 0, 10, 15, 30, 60)
MODALITIES = ("in_person", "in_person", "online")
REFERRALS = ("instagram", "referral", "google", "doctor", "other")
INSURANCES = ("none", "unimed", "bradesco", "sulamerica")
FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elisa",
    "Fábio",
    "Gabriela",
    "Heitor",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
    "Sofia",
    "Tiago",
    "Valéria",
    "Yuri",
    "Beatriz",
    "Caio",
    "Débora",
    "Enzo",
    "Flávia",
    "Gustavo",
    "Helena",
    "Igor",
]
LAST_NAMES = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
]
NOTES = (
    "Client reported better sleep this week; continued breathing exercises and agreed on a diary.",
    "Explored the conflict at work; client identified two triggers. Follow up on boundaries next time.",
    "Energy work on the lower back; client relaxed quickly. Suggested hydration and a short walk daily.",
    "Constellation of the family of origin; strong movement towards the father. Integrate for 4 weeks.",
)
DAY_START_MINUTES = 8 * 60  # the first session of a day may start at 08:00 local …
DAY_END_MINUTES = 19 * 60 + 30  # … and none starts after 19:30 local
PER_DAY_LARGE = 7.0  # average sessions per practitioner per working day
PER_DAY_SMALL = 4.0
OVERLAP_RATE = 0.03


@dataclass
class Practice:
    """One bench workspace as the generator sees it."""

    workspace: Workspace
    practitioner_ids: list[int]
    client_ids_by_practitioner: dict[int, list[int]]
    all_client_ids: list[int]
    therapy_type_ids: list[int]
    therapy_names: dict[int, str]
    sessions: int
    per_day: float
    pairs: set[tuple[int, int]] = field(default_factory=set)  # (client_id, practitioner_id)


class Command(BaseCommand):
    help = "Build the benchmark data set (one large workspace, many small ones, N sessions) fast."
    verbosity = 1

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sessions", type=int, required=True, help="Total sessions to create.")
        parser.add_argument(
            "--workspaces", type=int, default=None, help="Small workspaces besides the large one."
        )
        parser.add_argument("--practitioners", type=int, default=50, help="In the large workspace.")
        parser.add_argument("--clients", type=int, default=None, help="Clients of the large workspace.")
        parser.add_argument("--seed", type=int, default=20261121, help="Random seed (same seed, same data).")
        parser.add_argument("--batch-size", type=int, default=20000)
        parser.add_argument("--reset", action="store_true", help="Delete existing bench data first.")

    def handle(self, *args: Any, **opts: Any) -> None:
        total = opts["sessions"]
        if total < 1:
            raise CommandError("--sessions must be at least 1.")
        if opts["practitioners"] < 1:
            raise CommandError("--practitioners must be at least 1.")
        small_count = (
            opts["workspaces"] if opts["workspaces"] is not None else min(100, max(2, total // 5000))
        )
        if small_count < 0:
            raise CommandError("--workspaces cannot be negative.")
        self.verbosity = int(opts.get("verbosity", 1))
        started = time.monotonic()
        if Workspace.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            if not opts["reset"]:
                raise CommandError("Bench data already exists; run again with --reset to rebuild it.")
            self._log("Deleting the previous bench data …")
            reset_bench_data()
        rng = random.Random(opts["seed"])  # noqa: S311 (reproducible data, not secrets)
        now = timezone.now()
        with transaction.atomic():
            practices = self._build_practices(rng, total, small_count, opts)
            self._log(f"Workspaces, members and clients ready ({time.monotonic() - started:.1f} s).")
            inserted = self._insert_sessions(rng, practices, now, opts["batch_size"])
            self._log(f"{inserted} sessions inserted ({time.monotonic() - started:.1f} s).")
            self._insert_assignments(practices)
        analyze()
        self._log(f"ANALYZE done; total {time.monotonic() - started:.1f} s.")
        if self.verbosity >= 1:
            self.stdout.write(
                f"Seeded {inserted} sessions in {len(practices)} workspaces "
                f"(large workspace '{LARGE_SLUG}') in {time.monotonic() - started:.1f} s."
            )

    def _log(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(message)

    # --- workspaces, members, clients --------------------------------------------------------

    def _build_practices(
        self, rng: random.Random, total: int, small_count: int, opts: dict[str, Any]
    ) -> list[Practice]:
        password = make_password(BENCH_PASSWORD)  # one hash for every bench user: hashing is slow
        large_sessions = total if small_count == 0 else max(1, round(total * LARGE_SHARE))
        small_sessions = total - large_sessions
        n_clients = opts["clients"] or max(50, large_sessions // 90)
        practices = [
            self._practice(
                rng,
                password,
                slug=LARGE_SLUG,
                name="Bench Clinic (large)",
                tz=LARGE_TIMEZONE,
                n_practitioners=opts["practitioners"],
                n_clients=n_clients,
                sessions=large_sessions,
                per_day=PER_DAY_LARGE,
            )
        ]
        for i in range(small_count):
            share = small_sessions // small_count + (1 if i < small_sessions % small_count else 0)
            practices.append(
                self._practice(
                    rng,
                    password,
                    slug=f"{SLUG_PREFIX}small-{i + 1:04d}",
                    name=f"Bench Practice {i + 1}",
                    tz=SMALL_TIMEZONES[i % len(SMALL_TIMEZONES)],
                    n_practitioners=1 + i % 3,
                    n_clients=max(5, min(40, share // 20 + 5)),
                    sessions=share,
                    per_day=PER_DAY_SMALL,
                )
            )
        return practices

    def _practice(
        self,
        rng: random.Random,
        password: str,
        *,
        slug: str,
        name: str,
        tz: str,
        n_practitioners: int,
        n_clients: int,
        sessions: int,
        per_day: float,
    ) -> Practice:
        workspace = Workspace.objects.create(name=name, slug=slug, timezone=tz)
        roles = {
            role_name: Role.objects.create(
                workspace=workspace,
                name=role_name,
                permissions=sorted(codes),
                is_owner=role_name == permissions.OWNER,
            )
            for role_name, codes in permissions.DEFAULT_ROLES.items()
        }
        local = slug.removeprefix(SLUG_PREFIX)
        people: list[tuple[str, str, str]] = [(f"owner@{local}.{EMAIL_DOMAIN}", "Owner", permissions.OWNER)]
        if slug == LARGE_SLUG:
            people.append((f"assistant@{local}.{EMAIL_DOMAIN}", "Assistant", permissions.ASSISTANT))
        # The owner practises too in a small practice; the large one has dedicated practitioners.
        therapists = n_practitioners if slug == LARGE_SLUG else n_practitioners - 1
        people += [
            (f"p{j + 1:03d}@{local}.{EMAIL_DOMAIN}", f"Practitioner {j + 1}", permissions.THERAPIST)
            for j in range(therapists)
        ]
        users = User.objects.bulk_create(
            [User(email=email, name=f"{label} ({slug})", password=password) for email, label, _role in people]
        )
        members = Membership.objects.bulk_create(
            [
                Membership(workspace=workspace, user=user, role=roles[role_name])
                for user, (_email, _label, role_name) in zip(users, people, strict=True)
            ]
        )
        practitioner_ids = [
            m.pk
            for m, (_e, _l, role_name) in zip(members, people, strict=True)
            if role_name == permissions.THERAPIST or (slug != LARGE_SLUG and role_name == permissions.OWNER)
        ]
        therapy_types = TherapyType.objects.bulk_create(
            [
                TherapyType(workspace=workspace, name=t_name, color=color, default_duration_minutes=minutes)
                for t_name, color, minutes in THERAPIES
            ]
        )
        clients = Client.objects.bulk_create(
            [_client(rng, workspace, i) for i in range(n_clients)], batch_size=2000
        )
        client_ids = [c.pk for c in clients]
        by_practitioner: dict[int, list[int]] = {pid: [] for pid in practitioner_ids}
        for index, client_id in enumerate(client_ids):  # each client has a main practitioner
            by_practitioner[practitioner_ids[index % len(practitioner_ids)]].append(client_id)
        for own in by_practitioner.values():
            if not own:
                own.append(rng.choice(client_ids))
        _create_field_definitions(workspace)
        return Practice(
            workspace=workspace,
            practitioner_ids=practitioner_ids,
            client_ids_by_practitioner=by_practitioner,
            all_client_ids=client_ids,
            therapy_type_ids=[t.pk for t in therapy_types],
            therapy_names={t.pk: t.name for t in therapy_types},
            sessions=sessions,
            per_day=per_day,
        )

    # --- sessions ----------------------------------------------------------------------------

    def _insert_sessions(
        self, rng: random.Random, practices: list[Practice], now: dt.datetime, batch_size: int
    ) -> int:
        plan: list[tuple[dt.datetime, int, int, int, int, int, int]] = []
        for index, practice in enumerate(practices):
            for start, duration, pid, cid, ttype in _practice_sessions(rng, practice, now.date()):
                plan.append((start, duration, index, pid, cid, ttype, rng.randrange(1000)))
                practice.pairs.add((cid, pid))
        plan = _with_heavy_client(plan)
        plan.sort(key=lambda item: item[0])  # a calendar fills up roughly in time order
        writer = SessionWriter(now)
        inserted = 0
        now_naive = now.astimezone(dt.UTC).replace(tzinfo=None)
        for offset in range(0, len(plan), batch_size):
            rows = []
            for start, duration, index, pid, cid, ttype, dice in plan[offset : offset + batch_size]:
                practice = practices[index]
                rows.append(
                    writer.row(
                        start=start,
                        duration=duration,
                        workspace_id=practice.workspace.pk,
                        practitioner_id=pid,
                        client_id=cid,
                        therapy_type_id=ttype,
                        name=practice.therapy_names[ttype],
                        dice=dice,
                        past=start + dt.timedelta(minutes=duration) <= now_naive,
                    )
                )
            writer.write(rows)
            inserted += len(rows)
            if self.verbosity >= 2:
                self._log(f"  {inserted}/{len(plan)}")
        writer.finish()
        return inserted

    def _insert_assignments(self, practices: list[Practice]) -> None:
        ClientPractitioner.objects.bulk_create(
            [
                ClientPractitioner(workspace=p.workspace, client_id=cid, member_id=pid)
                for p in practices
                for cid, pid in sorted(p.pairs)
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )


HEAVY_CLIENT_SESSIONS = 500  # `make bench`: insights, briefing and export of a 200- / 500-session client


def _with_heavy_client(
    plan: list[tuple[dt.datetime, int, int, int, int, int, int]],
) -> list[tuple[dt.datetime, int, int, int, int, int, int]]:
    """One client of the large workspace with a long history (at least HEAVY_CLIENT_SESSIONS, when the
    data set is big enough): the first practitioner's clients, lowest ids first, are folded into the
    first of them until that many sessions are theirs. Only that practitioner's sessions move, so the
    practitioner's calendar is unchanged (the client keeps any sessions it had with others, as clients
    here may). Deterministic."""
    large = [item for item in plan if item[2] == 0]
    if not large:
        return plan
    pid = min(item[3] for item in large)
    counts: dict[int, int] = {}
    for item in large:
        if item[3] == pid:
            counts[item[4]] = counts.get(item[4], 0) + 1
    folded: set[int] = set()
    total = 0
    for cid in sorted(counts):
        folded.add(cid)
        total += counts[cid]
        if total >= HEAVY_CLIENT_SESSIONS:
            break
    heavy = min(folded)
    return [
        (*item[:4], heavy, *item[5:]) if item[2] == 0 and item[3] == pid and item[4] in folded else item
        for item in plan
    ]


def _client(rng: random.Random, workspace: Workspace, index: int) -> Client:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return Client(
        workspace=workspace,
        name=f"{first} {last} {index + 1}",
        email=f"client{index + 1}@{workspace.slug}.{EMAIL_DOMAIN}",
        phone=f"+55 11 9{rng.randrange(10**7, 10**8)}",
        birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55)),
        fields={
            "referral": rng.choice(REFERRALS),
            "insurance": rng.choice(INSURANCES),
            "sessions_per_month": rng.choice((1, 2, 4)),
        },
    )


def _create_field_definitions(workspace: Workspace) -> None:
    """The definitions the bench values belong to: filterable selects, clinical post-session fields."""

    def options(values: Sequence[str]) -> list[dict[str, str]]:
        return [{"value": v, "label": v.replace("_", " ").title()} for v in dict.fromkeys(values)]

    common = {"workspace": workspace, "filterable": False, "clinical": True}
    FieldDefinition.objects.bulk_create(
        [
            FieldDefinition(
                **common | {"filterable": True, "clinical": False},
                scope="session",
                phase="pre",
                key="modality",
                label="Modality",
                type="select",
                options=options(MODALITIES),
                order=1,
            ),
            FieldDefinition(
                **common,
                scope="session",
                phase="post",
                key="mood",
                label="Mood (1–5)",
                type="number",
                validation={"min": 1, "max": 5},
                order=2,
            ),
            FieldDefinition(
                **common,
                scope="session",
                phase="post",
                key="homework",
                label="Homework done",
                type="boolean",
                order=3,
            ),
            FieldDefinition(
                **common | {"filterable": True, "clinical": False},
                scope="client",
                key="referral",
                label="Referral",
                type="select",
                options=options(REFERRALS),
                order=1,
            ),
            FieldDefinition(
                **common | {"filterable": True, "clinical": False},
                scope="client",
                key="insurance",
                label="Insurance",
                type="select",
                options=options(INSURANCES),
                order=2,
            ),
            FieldDefinition(
                **common | {"clinical": False},
                scope="client",
                key="sessions_per_month",
                label="Sessions per month",
                type="number",
                order=3,
            ),
        ]
    )


def _practice_sessions(
    rng: random.Random, practice: Practice, today: dt.date
) -> Iterator[tuple[dt.datetime, int, int, int, int]]:
    """(start as naive UTC, minutes, practitioner, client, therapy type) for every session."""
    tz = zoneinfo.ZoneInfo(practice.workspace.timezone)
    n_pract = len(practice.practitioner_ids)
    per_practitioner = [
        practice.sessions // n_pract + (1 if i < practice.sessions % n_pract else 0) for i in range(n_pract)
    ]
    for pid, count in zip(practice.practitioner_ids, per_practitioner, strict=True):
        if count == 0:
            continue
        # Working days needed at this density; ~10% of them (at least one) lie after today, whatever
        # the weekday: counted in working days, so a Friday or a small count still has a future.
        days_needed = max(1, round(count / practice.per_day))
        first_day = _working_days_back(today, days_needed - max(1, round(days_needed * 0.1)))
        own = practice.client_ids_by_practitioner[pid]
        made = 0
        day = first_day
        while made < count:
            if day.weekday() < 5:
                for start_min, duration in _day_slots(rng, practice.per_day):
                    if made >= count:
                        break
                    client = own[rng.randrange(len(own))]
                    if rng.random() < 0.05:  # now and then a client of a colleague
                        client = practice.all_client_ids[rng.randrange(len(practice.all_client_ids))]
                    ttype = practice.therapy_type_ids[(client + pid) % len(practice.therapy_type_ids)]
                    yield _utc_start(day, start_min, tz), duration, pid, client, ttype
                    made += 1
            day += dt.timedelta(days=1)


def _working_days_back(today: dt.date, count: int) -> dt.date:
    """The first of the `count` working days that end with today (today counts if a weekday); the
    next working day when `count` is 0."""
    day = today + dt.timedelta(days=1)
    while count > 0:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _day_slots(rng: random.Random, per_day: float) -> list[tuple[int, int]]:
    """Local (start minute, duration) pairs of one practitioner's day, back to back with gaps."""
    wanted = max(1, min(12, round(rng.gauss(per_day, 1.5))))
    slots: list[tuple[int, int]] = []
    minute = rng.choice((DAY_START_MINUTES, 9 * 60, 9 * 60, 9 * 60, 10 * 60))
    while len(slots) < wanted and minute <= DAY_END_MINUTES:
        duration = rng.choice(DURATIONS)
        start = minute
        if slots and rng.random() < OVERLAP_RATE:  # double-booked: starts before the previous ends
            prev_start, prev_duration = slots[-1]
            start = prev_start + prev_duration // 2
        slots.append((start, duration))
        minute = max(minute, start + duration) + rng.choice(GAPS)
        if 12 * 60 <= minute < 13 * 60 and rng.random() < 0.7:  # lunch
            minute = 13 * 60
    return slots


_OFFSETS: dict[tuple[str, dt.date], dt.timedelta] = {}


def _utc_start(day: dt.date, minute: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    key = (tz.key, day)
    offset = _OFFSETS.get(key)
    if offset is None:  # the day's offset at noon; DST switches happen at night
        offset = tz.utcoffset(dt.datetime(day.year, day.month, day.day, 12)) or dt.timedelta(0)
        _OFFSETS[key] = offset
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=minute) - offset


class SessionWriter:
    """Builds raw session rows and writes them with the fastest bulk path of the database."""

    KNOWN = [
        "id",
        "created_at",
        "updated_at",
        "name",
        "starts_at",
        "ends_at",
        "duration_minutes",
        "status",
        "pre_fields",
        "during_fields",
        "post_fields",
        "therapy_fields",
        "notes",
        "admin_notes",
        "actual_duration_minutes",
        "recorded_at",
        "version",
        "client_id",
        "created_by_id",
        "practitioner_id",
        "therapy_type_id",
        "workspace_id",
        "series_id",
    ]

    def __init__(self, now: dt.datetime):
        self.postgres = connection.vendor == "postgresql"
        # Notes and clinical values are sealed with the session's id (`clinical.crypto`), so the
        # rows carry their ids: the next ones after every id taken (one transaction, no other writer).
        self.next_id = (Session.objects.aggregate(last=Max("id"))["last"] or 0) + 1
        self.sealers: dict[int, crypto.Sealer] = {}
        meta = Session._meta
        self.table = meta.db_table
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        self.extra: list[tuple[str, Any]] = []
        for f in fields:
            if f.column in self.KNOWN:
                continue
            if f.has_default():
                value = f.get_db_prep_save(f.get_default(), connection)
            elif f.null:
                value = None
            else:
                raise CommandError(f"seed_bench does not know how to fill {self.table}.{f.column}.")
            if self.postgres and value is not None and not isinstance(value, str | int | float | bool):
                value = json.dumps(value.obj) if hasattr(value, "obj") else str(value)
            self.extra.append((str(f.column), value))
        self.columns = self.KNOWN + [column for column, _ in self.extra]
        self.extra_values = tuple(value for _, value in self.extra)
        self.now = self._dt(now.astimezone(dt.UTC).replace(tzinfo=None))
        self.json = {m: json.dumps({"modality": m}) for m in MODALITIES}

    def _dt(self, value: dt.datetime) -> str:
        return f"{value}+00" if self.postgres else str(value)

    def row(
        self,
        *,
        start: dt.datetime,
        duration: int,
        workspace_id: int,
        practitioner_id: int,
        client_id: int,
        therapy_type_id: int,
        name: str,
        dice: int,
        past: bool,
    ) -> tuple[Any, ...]:
        end = start + dt.timedelta(minutes=duration)
        if past:
            status = "cancelled" if dice < 100 else "completed"
        else:
            status = "cancelled" if dice < 40 else "scheduled"
        completed = status == "completed"
        ends = self._dt(end)
        session_id = self.next_id
        self.next_id += 1
        seal = self.sealers.get(workspace_id)
        if seal is None:
            seal = self.sealers[workspace_id] = crypto.sealer(workspace_id)
        # mood and homework are clinical post-session fields (`_create_field_definitions`): sealed.
        post = (
            json.dumps(
                seal.values(
                    crypto.SESSION_PHASES["post"],
                    session_id,
                    {"mood": dice % 5 + 1, "homework": dice % 2 == 1},
                )
            )
            if completed
            else "{}"
        )
        notes = NOTES[dice % 4] if completed and dice % 2 == 0 else ""
        return (
            session_id,
            self.now,
            self.now,
            name,
            self._dt(start),
            ends,
            duration,
            status,
            self.json[MODALITIES[dice % 3]],
            "{}",
            post,
            "{}",
            seal.text(crypto.SESSION_NOTES, session_id, notes),
            "Paid in cash." if dice % 10 == 0 else "",
            duration if completed else None,
            ends if completed else None,
            1,
            client_id,
            practitioner_id,
            practitioner_id,
            therapy_type_id,
            workspace_id,
            None,
            *self.extra_values,
        )

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        table = connection.ops.quote_name(self.table)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608

    def finish(self) -> None:
        """Move the id sequence past the ids given (PostgreSQL; SQLite's AUTOINCREMENT follows)."""
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [self.table, self.next_id]
                )


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reset_bench_data() -> None:
    """Delete the bench workspaces, every tenant row in them and the bench users — nothing else.

    Raw deletes per table (a million sessions through the ORM collector would take minutes); the
    foreign keys are deferred, so they are checked once, at commit, when nothing points anywhere.
    """
    ids = list(Workspace.objects.filter(slug__startswith=SLUG_PREFIX).values_list("pk", flat=True))
    with transaction.atomic():
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed or model is Workspace:
                continue
            try:
                field = model._meta.get_field("workspace")
            except FieldDoesNotExist:
                continue
            if field.concrete and field.is_relation and field.related_model is Workspace:
                model._base_manager.filter(workspace_id__in=ids)._raw_delete(connection.alias)
        Workspace.objects.filter(pk__in=ids)._raw_delete(connection.alias)
        User.objects.filter(email__endswith=f".{EMAIL_DOMAIN}").delete()
