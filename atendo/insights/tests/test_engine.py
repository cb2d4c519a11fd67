"""The local engine on the committed corpus: sentences stay verbatim, themes recur, trends have a
direction, questions find their sentences — in Portuguese and in English, offline."""

from __future__ import annotations

import datetime as dt

import pytest

from atendo.insights import engine
from atendo.insights import text as textmod
from atendo.insights.tests import corpus

DAY0 = dt.date(2026, 3, 2)


def _notes(rows, default="en"):
    return engine.notes_of([(i, DAY0 + dt.timedelta(days=r[0]), r[2]) for i, r in enumerate(rows)], default)


@pytest.mark.parametrize("rows", [corpus.MARINA, corpus.DANIEL], ids=["pt", "en"])
def test_every_summary_sentence_is_a_verbatim_span_of_its_own_note(rows):
    notes = _notes(rows)
    summary = engine.summarize(notes)
    assert 4 <= len(summary) <= engine.MAX_SUMMARY
    for quote in summary:
        assert quote.text in rows[quote.session_id][2]
        assert quote.date == DAY0 + dt.timedelta(days=rows[quote.session_id][0])
    assert [q.date for q in summary] == sorted(q.date for q in summary)
    assert len({q.session_id for q in summary}) == len(summary)  # one per session


def test_each_note_is_detected_in_its_own_language():
    assert {n.lang for n in _notes(corpus.MARINA, "en")} == {"pt"}
    assert {n.lang for n in _notes(corpus.DANIEL, "pt")} == {"en"}
    assert textmod.detect_language("ok", "pt-br") == "pt"  # too short to tell: the workspace's


def test_recurring_themes_meet_by_lemma_across_sessions():
    themes = {t.term: t for t in engine.themes(_notes(corpus.MARINA))}
    keys = {k for t in themes.values() for k in t.key}
    assert {"dormir", "sono", "ansiedade"} <= keys
    sleep = next(t for t in themes.values() if t.key == ("dormir",))
    # "dormiu", "dormir" and "dorme" are one theme, found in the sessions that say any of them.
    assert len(sleep.session_ids) >= 4
    for sid in sleep.session_ids:
        assert "dorm" in corpus.MARINA[sid][2].lower()
    english = {k for t in engine.themes(_notes(corpus.DANIEL)) for k in t.key}
    assert {"panic", "sleep", "subway", "run"} <= english


def test_a_field_falling_from_8_to_3_is_a_downward_trend():
    values = [r[3] for r in corpus.MARINA if r[3] is not None]
    shape = engine.trend(values)
    assert (shape["direction"], shape["first"], shape["last"]) == ("down", 8, 3)
    assert shape["change"] < -4
    assert engine.trend([5, 5, 5, 5])["direction"] == "flat"
    assert engine.trend([2, 3, 5, 8])["direction"] == "up"
    assert engine.trend([7])["direction"] == "flat"


def test_a_question_finds_the_latest_sentence_first():
    quotes = engine.relevant_sentences(_notes(corpus.DANIEL), "When did he last mention running?")
    assert quotes and all(q.text in corpus.DANIEL[q.session_id][2] for q in quotes)
    assert quotes[0].session_id == 5  # "…runs every other morning", the newest
    assert [q.date for q in quotes] == sorted((q.date for q in quotes), reverse=True)
    assert engine.relevant_sentences(_notes(corpus.DANIEL), "orçamento do condomínio") == []


def test_the_sentence_splitter_keeps_abbreviations_and_list_items_whole():
    text = (
        "Dr. Silva indicou 10 mg.\n- Tarefa: caminhar 3x por semana!\nSleep was better?  Yes, e.g. on Monday."
    )
    found = textmod.sentences(text)
    assert [s.text for s in found] == [
        "Dr. Silva indicou 10 mg.",
        "Tarefa: caminhar 3x por semana!",
        "Sleep was better?",
        "Yes, e.g. on Monday.",
    ]
    assert all(text[s.start : s.end] == s.text for s in found)


def test_lemmas_are_folded_and_offline():
    assert textmod.lemma("dormiu", "pt") == textmod.lemma("dormir", "pt") == "dormir"
    assert textmod.lemma("Sessões", "pt") == "sessao"
    assert textmod.lemma("slept", "en") == "sleep"
