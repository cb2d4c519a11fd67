"""The answers pinned: the engine on 200 notes, and every insights answer (the client's insights, the
briefing, a local question) as each persona gets it on a fixed practice, compared with
`pinned.json`, written by the code before it was made faster (issue 17). A speed-up must give
exactly these answers, to every reader: the same sentences, themes, trends and scores, and nothing
to whoever may not read the client.

Ids and dates are made relative (a session is its index, a date its distance in days from the
practice's first session), so the file holds on either database and on any day. To write the file
anew, on purpose: `INSIGHTS_PIN_WRITE=1 pytest atendo/insights/tests/test_pinned.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from atendo.core.errors import Forbidden
from atendo.insights import engine, selectors, services
from atendo.insights import text as textmod
from atendo.insights.tests import corpus
from atendo.insights.tests.conftest import Practice
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership
from tests.factories import EvaluationFactory, SessionFactory

PINNED = Path(__file__).with_name("pinned.json")
WRITE = os.environ.get("INSIGHTS_PIN_WRITE") == "1"
DAY0 = dt.date(2026, 3, 2)
PERSONAS = ("owner", "therapist", "other_therapist", "assistant")
QUESTIONS = ("Quando dormiu mal pela última vez?", "panic attacks on the subway", "mãe e culpa")
_TEXT_DAY = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}\b")
_TEXT_DAY_BR = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$", re.DOTALL)
QUERIES_INSIGHTS = 13
QUERIES_BRIEFING = 16
_ID_KEYS = {"id", "session_id", "session_ids", "evaluation_id", "client_id"}


def _sentences_of_corpus() -> list[str]:
    out = []
    for rows in (corpus.MARINA, corpus.DANIEL):
        for row in rows:
            out += [s.text for s in textmod.sentences(row[2])]
    return out


def _synthetic_notes(count: int, seed: int) -> list[str]:
    """`count` notes made of the corpus's sentences (two to six each, both languages, some notes
    repeated word for word, some empty), the same on every run."""
    rng = random.Random(seed)  # a fixed data set, not a secret
    pool = _sentences_of_corpus()
    notes: list[str] = []
    for i in range(count):
        if i % 11 == 5:
            notes.append("")
        elif i % 7 == 3 and notes:
            notes.append(notes[rng.randrange(len(notes))])  # a note copied from an earlier one
        else:
            notes.append(" ".join(rng.sample(pool, rng.randint(2, 6))))
    return notes


def _quote(q: engine.Quote) -> list[Any]:
    return [q.text, q.session_id, q.date.isoformat(), q.score]


def _engine_answers() -> dict[str, Any]:
    texts = _synthetic_notes(200, seed=17)
    notes = engine.notes_of([(i, DAY0 + dt.timedelta(days=i), t) for i, t in enumerate(texts)], "pt-br")
    return {
        "langs": [n.lang for n in notes],
        "summary": [_quote(q) for q in engine.summarize(notes)],
        "themes": [[t.term, t.count, t.session_ids, list(t.key)] for t in engine.themes(notes)],
        "note_summaries": [engine.note_summary(n) for n in notes],
        "questions": [[_quote(q) for q in engine.relevant_sentences(notes, q)] for q in QUESTIONS],
        "corpus": [
            {
                "summary": [_quote(q) for q in engine.summarize(ns)],
                "themes": [[t.term, t.count, t.session_ids, list(t.key)] for t in engine.themes(ns)],
            }
            for ns in (
                engine.notes_of([(i, DAY0 + dt.timedelta(days=r[0]), r[2]) for i, r in enumerate(rows)], "en")
                for rows in (corpus.MARINA, corpus.DANIEL)
            )
        ],
    }


def _compare(name: str, got: Any) -> None:
    got = json.loads(json.dumps(got))  # tuples as lists, as the file holds them
    pinned = json.loads(PINNED.read_text(encoding="utf-8")) if PINNED.exists() else {}
    if WRITE:
        pinned[name] = got
        PINNED.write_text(json.dumps(pinned, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
        return
    assert name in pinned, f"{name} is not pinned yet (INSIGHTS_PIN_WRITE=1)"
    assert got == pinned[name]


def test_the_engine_on_200_notes_gives_the_pinned_answers() -> None:
    _compare("engine", _engine_answers())


# --- every door, as each persona -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _noon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today at noon in São Paulo, all through the test: the answers (days since, dates still ahead)
    then do not depend on the hour the test runs at."""
    noon = timezone.now().replace(hour=15, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: noon)


@pytest.fixture
def helena(practice: Practice, therapist: Membership, owner: Membership) -> Practice:
    """A third client with a long record (60 sessions of synthetic notes, some copied word for
    word, the anxiety scale and homework on most, follow-up dates past and ahead, evaluations), seen
    by the therapist and, for one session, by the owner as practitioner."""
    from tests.factories import ClientFactory

    client = ClientFactory(workspace=therapist.workspace, name="Helena Prado", practitioners=[therapist])
    start = practice.sessions["marina"][0].starts_at - dt.timedelta(days=400)
    texts = _synthetic_notes(60, seed=29)
    rows = []
    now = timezone.now()
    for i, text in enumerate(texts):
        starts = start + dt.timedelta(days=6 * i + (i % 3))
        status = "completed" if starts < now else "scheduled"
        if i % 13 == 4:
            status = "cancelled"
        elif i % 17 == 9:
            status = "no_show"
        post: dict[str, Any] = {}
        if status == "completed":
            if i % 4 != 1:
                post["anxiety"] = (i * 7) % 11
            if i % 3 == 0:
                post["homework"] = f"Registrar o sono e a respiração ({i})."
            if i % 10 == 2:
                post["next_review"] = (now + dt.timedelta(days=i - 30)).date().isoformat()
        rows.append(
            SessionFactory(
                client=client,
                practitioner=owner if i == 20 else therapist,
                starts_at=starts,
                status=status,
                notes=text if status == "completed" else "",
                post=post or None,
            )
        )
    for i in (3, 24, 50):
        EvaluationFactory(
            client=client,
            session=rows[i],
            title=f"PHQ-9 ({i})",
            date=rows[i].starts_at.date().isoformat(),
            values={"phq9": 20 - i // 4},
        )
    practice.sessions["helena"] = rows
    practice.upcoming["helena"] = SessionFactory(
        client=client, practitioner=therapist, starts_at=now + dt.timedelta(days=2)
    )
    practice.helena = client  # type: ignore[attr-defined]
    return practice


class _Relative:
    """Ids as names (`s12` is the 13th session of the practice, by start), dates as days from the
    first session's local day."""

    def __init__(self, practice: Practice, member: Membership) -> None:
        sessions = Session.objects.filter(workspace=member.workspace).order_by("starts_at", "id")
        self.ids = {s.pk: f"s{i}" for i, s in enumerate(sessions)}
        from atendo.evaluations.models import Evaluation

        evaluations = Evaluation.objects.filter(workspace=member.workspace).order_by("date", "id")
        self.evaluations = {e.pk: f"e{i}" for i, e in enumerate(evaluations)}
        clients = {practice.marina.pk: "marina", practice.daniel.pk: "daniel"}
        clients[practice.helena.pk] = "helena"  # type: ignore[attr-defined]
        self.clients = clients
        tz = member.workspace.tz
        self.day0 = sessions[0].starts_at.astimezone(tz).date()

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            if "evaluation_id" in value or ("title" in value and "scores" in value):
                # An evaluation: its `id` is the evaluation's.
                return {
                    k: (self.evaluations.get(v, v) if k in ("id", "evaluation_id") else self(v, k))
                    for k, v in value.items()
                }
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if key in _ID_KEYS and isinstance(value, int):
            return self.clients.get(value, value) if key == "client_id" else self.ids.get(value, value)
        if isinstance(value, str) and (m := _ISO_DAY.match(value)):
            days = (dt.date.fromisoformat(m.group(1)) - self.day0).days
            return f"D{days:+d}{m.group(2)}"
        if isinstance(value, str):  # dates inside a text ("Most recently on Jul 10, 2026."), too
            value = _TEXT_DAY.sub(lambda m: self._day(dt.datetime.strptime(m.group(0), "%b %d, %Y")), value)
            return _TEXT_DAY_BR.sub(lambda m: self._day(dt.datetime.strptime(m.group(0), "%d/%m/%Y")), value)
        return value

    def _day(self, moment: dt.datetime) -> str:
        return f"D{(moment.date() - self.day0).days:+d}"


def _as(member: Membership, fn: Any, *args: Any, **kwargs: Any) -> Any:
    cache.clear()  # every answer computed afresh (a cached one is the same, see the second pass)
    try:
        first = fn(member, *args, **kwargs)
    except Forbidden:
        return "forbidden"
    again = fn(member, *args, **kwargs)  # from the cache this time
    assert again == first
    return first


@pytest.mark.django_db
def test_every_answer_is_the_pinned_one_for_every_persona(helena: Practice, request: Any) -> None:
    members = {name: request.getfixturevalue(name) for name in PERSONAS}
    answers: dict[str, Any] = {}
    for name, member in members.items():
        rel = _Relative(helena, member)
        out: dict[str, Any] = {}
        for who in ("marina", "daniel", "helena"):
            client = getattr(helena, who)
            sessions = helena.sessions[who]
            tz = member.workspace.tz
            middle = sessions[len(sessions) // 3].starts_at.astimezone(tz).date()
            late = sessions[(2 * len(sessions)) // 3].starts_at.astimezone(tz).date()
            out[f"{who}.insights"] = _as(member, selectors.client_insights, client.pk)
            out[f"{who}.insights.period"] = _as(
                member, selectors.client_insights, client.pk, start=middle.isoformat(), end=late.isoformat()
            )
            for index in (0, 1, len(sessions) // 2, len(sessions) - 1):
                out[f"{who}.briefing.{index}"] = _as(member, selectors.session_briefing, sessions[index].pk)
            out[f"{who}.briefing.upcoming"] = _as(member, selectors.session_briefing, helena.upcoming[who].pk)
            for question in QUESTIONS:
                answer = _as(
                    member,
                    lambda m, c, q: services.client_ask(member=m, client_id=c, question=q),
                    client.pk,
                    question,
                )
                out[f"{who}.ask.{question}"] = answer if answer == "forbidden" else answer.as_json()
        answers[name] = rel(out)
    _compare("personas", answers)


@pytest.mark.django_db
def test_the_queries_of_an_answer_do_not_grow_with_the_record(
    helena: Practice, therapist: Membership, django_assert_max_num_queries: Any
) -> None:
    """60 sessions and three evaluations: the field definitions are read once (not per evaluation),
    the sessions once for the clinical part and once for attendance."""
    cache.clear()
    with django_assert_max_num_queries(QUERIES_INSIGHTS):
        selectors.client_insights(therapist, helena.helena.pk)  # type: ignore[attr-defined]
    cache.clear()
    with django_assert_max_num_queries(QUERIES_BRIEFING):
        selectors.session_briefing(therapist, helena.upcoming["helena"].pk)
