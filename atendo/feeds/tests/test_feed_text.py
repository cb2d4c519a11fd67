"""The feed written as text (`scheduling.ics.EventText`) is what `icalendar` writes: the same bytes as
the calendar the feed used to build with `icalendar`'s objects (`session_event`, `add_missing_timezones`,
`to_ical`), and, parsed back with `icalendar`, the same events with the same properties, for every
persona's feed (a therapist's own, initials only, without `client.read`, the owner's and the front
desk's of the whole practice)."""

from __future__ import annotations

import datetime as dt
import random
from urllib.parse import urlsplit

import icalendar
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from atendo.feeds import services
from atendo.feeds.models import CalendarFeed, FeedScope
from atendo.scheduling.ics import EventText, escape_text, fold, new_calendar, session_event
from atendo.scheduling.models import Session, SessionStatus
from atendo.workspaces.models import Workspace
from tests.factories import ClientFactory, SessionFactory

NAMES = [
    "Maria Clara Souza",
    "João; Vírgula, da Silva",
    "Back\\slash O'Neil",
    "Ångström Øresund-Çelik Ñúñez Łukasz Żółć Ærø Þór Ðóra Ümlaut Éloïse Ïgnace",
    "Zoë",
    "李 小龍 🙂 Ωμέγα",
    "   ",
]
ROOM = "https://meet.example.com/a-room,with;odd\\chars?x=1&y=" + "é" * 40


def _old_feed_ics(feed: CalendarFeed, sessions) -> bytes:
    """The feed as it was built before the text writer, with `icalendar`'s object model."""
    workspace = feed.workspace
    can_name_clients = feed.member.has_perm("client.read")
    cal = new_calendar(
        prodid="-//Atendo//Calendar feed//EN",
        name=f"{workspace.name} · {feed.member.user.display_name}",
        timezone_name=workspace.timezone,
    )
    base = settings.ATENDO_PUBLIC_URL.rstrip("/")
    for session in sessions:
        who = services.client_label(session.client.name, feed.initials_only) if can_name_clients else ""
        summary = who or _("Session")
        if feed.scope == FeedScope.WORKSPACE:
            summary += f" · {session.practitioner.user.display_name}"
        url = base + reverse("scheduling:detail", args=[workspace.slug, session.pk])
        cal.add_component(session_event(session, summary=summary, url=url))
    cal.add_missing_timezones()
    return cal.to_ical()


def _parsed(body: bytes) -> list[tuple[str, list[tuple[str, str, bytes, dict[str, str]]]]]:
    """Every component, parsed with `icalendar`: its name and properties (name, value read back,
    value as written, parameters)."""
    return [
        (
            part.name,
            [
                (name, str(part.decoded(name)), value.to_ical(), dict(value.params))
                for name, value in part.property_items(recursive=False)
                if name not in ("BEGIN", "END")
            ],
        )
        for part in icalendar.Calendar.from_ical(body).walk()
    ]


@pytest.fixture
def many(workspace, owner, therapist, other_therapist):
    """Sessions of both therapists: odd names (escapes, long multi-byte lines to fold), video links,
    the practice's address with line breaks, every status an event shows."""
    workspace.address = "Rua das Flores, 10; sala 3\nSão Paulo\r\nSP — Brasil, " + "ç" * 50
    workspace.name = "Clínica Serena, Ltda; \\ unidade"
    workspace.save(update_fields=["address", "name"])
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    made = []
    for i, name in enumerate(NAMES * 2):
        session = SessionFactory(
            client=ClientFactory(workspace=workspace, name=name),
            practitioner=therapist if i % 3 else other_therapist,
            by=owner,
            starts_at=start + dt.timedelta(hours=3 * i, minutes=7 * i),
            name="QZXnameXZQ",
            notes="QZXnotesXZQ",
        )
        made.append(session)
    Session.objects.filter(pk__in=[s.pk for s in made[::3]]).update(video_url=ROOM)
    Session.objects.filter(pk__in=[s.pk for s in made[1::4]]).update(confirmed_at=start)
    Session.objects.filter(pk__in=[s.pk for s in made[2::5]]).update(status=SessionStatus.CANCELLED)
    past = SessionFactory(practitioner=therapist, by=owner, days_ago=30)  # in the feed's 90 days back
    return [*made, past]


def _feeds(api, owner, assistant, therapist):
    therapist_api = api(therapist)
    made = [
        therapist_api.post("calendar-feeds", {}),
        therapist_api.post("calendar-feeds", {"initials_only": True}),
        api(owner).post("calendar-feeds", {"scope": "workspace"}),
        api(owner).post("calendar-feeds", {"scope": "workspace", "initials_only": True}),
        api(assistant).post("calendar-feeds", {"scope": "workspace"}),
    ]
    assert all(r.status_code == 201 for r in made), [r.content for r in made]
    return [(CalendarFeed.objects.get(pk=r.json()["id"]), urlsplit(r.json()["url"]).path) for r in made]


def _compare(feeds) -> int:
    events = 0
    for _made, path in feeds:
        feed = services.feed_by_token(path.removeprefix("/feeds/").removesuffix(".ics"))  # as it is now
        response = HttpClient().get(path)
        assert response.status_code == 200
        old = _old_feed_ics(feed, services.feed_sessions(feed).select_related("workspace"))
        assert response.content == old, feed.scope
        assert _parsed(response.content) == _parsed(old)
        assert b"QZX" not in response.content
        events += response.content.count(b"BEGIN:VEVENT")
    return events


@pytest.mark.django_db
def test_every_personas_feed_is_what_icalendar_wrote(api, owner, assistant, therapist, many):
    feeds = _feeds(api, owner, assistant, therapist)
    assert _compare(feeds) == 10 + 10 + 15 + 15 + 15
    # A member who may no longer read clients: titles without names, the same bytes as before.
    role = therapist.role
    role.permissions = [p for p in role.permissions if p != "client.read"]
    role.save()
    assert _compare(feeds[:2]) == 20


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Europe/Lisbon", "Asia/Kathmandu"])
def test_other_zones_and_an_empty_feed(api, owner, assistant, therapist, many, workspace, zone):
    workspace.timezone = zone
    workspace.save(update_fields=["timezone"])
    assert _compare(_feeds(api, owner, assistant, therapist)) == 65
    Session.objects.filter(workspace=workspace).update(starts_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    feed, path = _feeds(api, owner, assistant, therapist)[0]
    empty = HttpClient().get(path).content
    assert empty == _old_feed_ics(feed, []) and b"VTIMEZONE" not in empty


@pytest.mark.django_db
def test_the_feed_reads_its_events_in_one_query_whatever_their_number(
    api, owner, workspace, therapist, other_therapist
):
    path = urlsplit(api(owner).post("calendar-feeds", {"scope": "workspace"}).json()["url"]).path
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert HttpClient().get(path).status_code == 200
        services.cache.clear()
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        # Not even read: the session's name, notes and field values, the client's fields.
        assert all(f'."{column}"' not in sql for column in ("notes", "pre_fields", "post_fields", "fields"))
        assert f'{Session._meta.db_table}"."name"' not in sql
        return len(captured.captured_queries)

    SessionFactory(practitioner=therapist, by=owner, starts_at=start)
    one = queries()
    for i in range(1, 6):
        SessionFactory(
            practitioner=other_therapist if i % 2 else therapist,
            by=owner,
            starts_at=start + dt.timedelta(hours=2 * i),
        )
    assert queries() == one


def test_an_event_written_as_text_is_what_icalendar_writes():
    """Random titles, addresses and links (every TEXT escape, multi-byte characters and escapes at
    the fold) in a few zones: `EventText.event` and `session_event(...).to_ical()` agree."""
    rng = random.Random(5545)
    alphabet = "ab Z09-_.;,:\\^\n\r\"'é€ç😀李\t/"
    for zone in ["America/Sao_Paulo", "UTC", "Europe/Lisbon", "Pacific/Chatham"]:
        for i in range(150):

            def text(longest: int) -> str:
                return "".join(rng.choice(alphabet) for _ in range(rng.randrange(longest)))

            workspace = Workspace(slug="serena", timezone=zone, address=text(200))
            starts = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(10**6))
            session = Session(
                pk=rng.randrange(1, 10**9),
                workspace=workspace,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=rng.randrange(15, 300)),
                updated_at=starts - dt.timedelta(seconds=rng.randrange(10**7), microseconds=17),
                version=rng.randrange(1, 10**4),
                video_url=text(120) if i % 3 == 0 else "",
                status=rng.choice([SessionStatus.CANCELLED, SessionStatus.SCHEDULED]),
                confirmed_at=starts if i % 2 else None,
            )
            summary = text(300)
            url = ("https://x.test/" + text(150).replace("\r", "").replace("\n", "")) if i % 4 else ""
            written = EventText(workspace).event(session, summary=summary, url=url)
            assert written == session_event(session, summary=summary, url=url).to_ical().decode()
            with pytest.raises(ValueError):  # a line break in a URI: refused by both
                EventText(workspace).event(session, summary=summary, url=url + "\r\nX-A:b")
            with pytest.raises(ValueError):
                session_event(session, summary=summary, url=url + "\r\nX-A:b")


def test_escaping_and_folding():
    assert escape_text("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    assert escape_text("plain") == "plain"
    assert fold("x" * 74) == "x" * 74
    assert fold("x" * 75) == "x" * 74 + "\r\n x"
    assert fold("x" * 73 + "é") == "x" * 73 + "\r\n é"  # never inside a character
    assert fold("x" * 73 + "\\,y") == "x" * 73 + "\r\n \\,y"  # nor between an escape and its character
    assert all(len(line.encode()) <= 75 for line in fold("€" * 200).split("\r\n"))
