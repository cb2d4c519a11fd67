"""The local insights engine: pure functions over what a reader may read (no database here).

- `summarize`: an extractive summary (TextRank over the sentences of the notes, similarity by shared
  lemmas, as in Mihalcea & Tarau 2004), at most one sentence per session, shown in date order.
- `themes`: what recurs across sessions: yake's key phrases of each note, matched by lemma in every
  note, kept when they appear in two sessions or more.
- `trend`: direction and size of change of a series of numbers (least-squares slope over the
  period, "flat" when the fitted change is under 10% of the series' range and under 5% of its mean).
- `relevant_sentences`: the sentences that best answer a question (lemma overlap, rarer lemmas
  weigh more), for questions and briefings.

Every sentence returned is `Note.text[start:end]` of a note given, with that note's session id.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import yake

from atendo.insights import text as textmod

MAX_SUMMARY = 8
MAX_THEMES = 12
_DAMPING = 0.85


@dataclass
class Note:
    """One readable note: a session's notes (or another free text of the record)."""

    session_id: int | None
    date: dt.date
    text: str
    lang: str = "en"
    sentences: list[textmod.Sentence] = field(default_factory=list)
    lemmas: list[list[str]] = field(default_factory=list)  # per sentence

    def prepare(self) -> Note:
        if not self.sentences and self.text:
            self.sentences = textmod.sentences(self.text)
            self.lemmas = [textmod.content_lemmas(s.text, self.lang) for s in self.sentences]
        return self


@dataclass(frozen=True)
class Quote:
    text: str
    session_id: int | None
    date: dt.date
    score: float = 0.0


def notes_of(items: Iterable[tuple[int | None, dt.date, str]], default_lang: str) -> list[Note]:
    """Notes from (session id, date, text), each with its detected language, split and lemmatised.

    A text met again (a note copied from an earlier one) is detected, split and lemmatised once:
    its notes share the same (read-only) sentences and lemmas."""
    out = []
    prepared: dict[str, Note] = {}
    for session_id, day, body in items:
        if body and body.strip():
            known = prepared.get(body)
            if known is None:
                lang = textmod.detect_language(body, default_lang)
                known = prepared[body] = Note(session_id, day, body, lang).prepare()
                out.append(known)
            else:
                out.append(Note(session_id, day, body, known.lang, known.sentences, known.lemmas))
    return out


# --- summary ---------------------------------------------------------------------------------------


def _rank(lemma_sets: Sequence[set[str]]) -> list[float]:
    """TextRank scores of sentences given their lemma sets."""
    n = len(lemma_sets)
    if n == 0:
        return []
    if n == 1:
        return [1.0]
    vocabulary: dict[str, int] = {}
    for lemmas in lemma_sets:
        for word in lemmas:
            vocabulary.setdefault(word, len(vocabulary))
    if not vocabulary:
        return [0.0] * n
    matrix = np.zeros((n, len(vocabulary)), dtype=np.float32)
    for i, lemmas in enumerate(lemma_sets):
        for word in lemmas:
            matrix[i, vocabulary[word]] = 1.0
    overlap = matrix @ matrix.T
    sizes = matrix.sum(axis=1)
    logs = np.log(np.maximum(sizes, 1.0) + 1.0)
    weights = overlap / (logs[:, None] + logs[None, :])
    np.fill_diagonal(weights, 0.0)
    out_sum = weights.sum(axis=1)
    out_sum[out_sum == 0] = 1.0
    transition = weights / out_sum[:, None]
    # `transition.T @ scores` (float32 by float64) casts the matrix to a C-ordered float64 copy on
    # every step before the same BLAS product: cast once, same scores to the last bit.
    transposed = np.ascontiguousarray(transition.T, dtype=np.float64)
    scores = np.full(n, 1.0 / n, dtype=np.float64)
    for _ in range(50):
        updated = (1 - _DAMPING) / n + _DAMPING * (transposed @ scores)
        if np.abs(updated - scores).sum() < 1e-6:
            scores = updated
            break
        scores = updated
    return [float(s) for s in scores]


def summarize(notes: Sequence[Note], limit: int = MAX_SUMMARY, *, per_note: int = 1) -> list[Quote]:
    """The most central sentences of `notes` (at most `per_note` from each), in date order."""
    candidates: list[tuple[Note, textmod.Sentence, set[str]]] = []
    for note in notes:
        for sentence, lemmas in zip(note.sentences, note.lemmas, strict=True):
            if len(lemmas) >= 2 and len(sentence.text) <= 400:
                candidates.append((note, sentence, set(lemmas)))
    if not candidates:
        # Notes of one or two words: quote their first sentence, as written.
        return [Quote(n.sentences[0].text, n.session_id, n.date) for n in notes if n.sentences][:limit]
    scores = _rank([c[2] for c in candidates])
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i][0].date, i))
    taken: Counter[int] = Counter()
    chosen: list[tuple[int, float]] = []
    for i in order:
        note = candidates[i][0]
        if taken[id(note)] >= per_note:
            continue
        taken[id(note)] += 1
        chosen.append((i, scores[i]))
        if len(chosen) >= limit:
            break
    chosen.sort(key=lambda pair: (candidates[pair[0]][0].date, candidates[pair[0]][1].start))
    return [
        Quote(candidates[i][1].text, candidates[i][0].session_id, candidates[i][0].date, round(score, 6))
        for i, score in chosen
    ]


def note_summary(note: Note, limit: int = 2) -> list[str]:
    """A line or two of one note: its most central sentences, in the order written."""
    quotes = summarize([note], limit=limit, per_note=limit)
    return [q.text for q in quotes]


# --- themes ----------------------------------------------------------------------------------------


@dataclass
class Theme:
    term: str
    count: int
    session_ids: list[int]
    key: tuple[str, ...] = ()


def _keyphrases(note: Note, extractors: dict[str, yake.KeywordExtractor], top: int = 12) -> list[str]:
    extractor = extractors.get(note.lang)
    if extractor is None:
        # One extractor per language for a whole call (its stop words read once); it keeps no
        # state between texts that changes an answer (only a cache of string similarities).
        extractor = extractors[note.lang] = yake.KeywordExtractor(lan=note.lang, n=2, top=top, dedupLim=0.8)
    try:
        return [phrase for phrase, _score in extractor.extract_keywords(note.text)]
    except (ValueError, ZeroDivisionError, IndexError):  # yake on degenerate text
        return []


def themes(notes: Sequence[Note], limit: int = MAX_THEMES) -> list[Theme]:
    """Key phrases found (by lemma) in two sessions or more, the most widespread first.

    Linear in the notes: each distinct (text, language) is given to yake once (a copied note
    counts as many times as it appears), and where a key phrase occurs comes from an index of
    the notes' lemmas and lemma pairs, not from a pass over every note per phrase."""
    # Which notes hold each lemma and each pair of consecutive lemmas (note indexes, ascending).
    holders: dict[Any, list[int]] = defaultdict(list)
    for i, n in enumerate(notes):
        note_lemmas = [w for s in n.lemmas for w in s]
        for word in set(note_lemmas):
            holders[word].append(i)
        for pair in set(pairwise(note_lemmas)):
            holders[pair].append(i)
    surface: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    extractors: dict[str, yake.KeywordExtractor] = {}
    phrases_of: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] = {}
    for note in notes:
        found_here = phrases_of.get((note.lang, note.text))
        if found_here is None:
            found_here = []
            for phrase in _keyphrases(note, extractors):
                lemmas = tuple(textmod.content_lemmas(phrase, note.lang))
                if not lemmas or len(lemmas) > 2 or len(lemmas) != len(textmod.words(phrase)):
                    continue
                found_here.append((lemmas, phrase.lower()))
            phrases_of[(note.lang, note.text)] = found_here
        for lemmas, form in found_here:
            surface[lemmas][form] += 1
    found: list[Theme] = []
    for key, forms in surface.items():
        present = holders.get(key[0] if len(key) == 1 else key, [])
        ids = sorted({sid for i in present if (sid := notes[i].session_id) is not None})
        if len(ids) < 2:
            continue
        found.append(Theme(forms.most_common(1)[0][0], len(ids), ids, key))
    # A one-word theme that only repeats a two-word one (same sessions) says nothing more.
    pairs_with: dict[str, list[Theme]] = defaultdict(list)
    for t in found:
        if len(t.key) == 2:
            for word in set(t.key):
                pairs_with[word].append(t)
    kept = [
        t
        for t in found
        if len(t.key) == 2 or not any(p.session_ids == t.session_ids for p in pairs_with.get(t.key[0], ()))
    ]
    kept.sort(key=lambda t: (-t.count, -len(t.key), t.term))
    return kept[:limit]


# --- numbers ---------------------------------------------------------------------------------------


def trend(values: Sequence[float]) -> dict[str, Any]:
    """Direction ("up" | "down" | "flat") and size of change of `values` (in the order given).

    The change is the least-squares line's rise over the whole series (robust to one odd point);
    it is "flat" when that is under 10% of the series' range, or under 5% of its mean size.
    """
    n = len(values)
    if n < 2:
        return {"direction": "flat", "change": 0.0, "first": values[0] if values else None,
                "last": values[-1] if values else None}  # fmt: skip
    xs = list(range(n))
    mean_x = sum(xs) / n
    mean_y = sum(values) / n
    var = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values, strict=True)) / var
    change = slope * (n - 1)
    spread = max(values) - min(values)
    scale = abs(mean_y)
    flat = spread == 0 or abs(change) < 0.1 * spread or (scale > 0 and abs(change) < 0.05 * scale)
    direction = "flat" if flat else ("up" if change > 0 else "down")
    return {
        "direction": direction,
        "change": round(change, 2),
        "first": values[0],
        "last": values[-1],
    }


# --- questions -------------------------------------------------------------------------------------

_RECENT_WORDS = frozenset(
    {"ultima", "ultimo", "recente", "recentemente", "last", "latest", "recently", "recent", "quando", "when"}
)


def question_lemmas(question: str) -> set[str]:
    """The content lemmas of a question in both languages (a question may not say which)."""
    out: set[str] = set()
    for lang in textmod.LANGUAGES:
        out.update(textmod.content_lemmas(question, lang))
    return out - _RECENT_WORDS


def asks_for_latest(question: str) -> bool:
    folded = {textmod.fold(w.lower()) for w in textmod.words(question)}
    return bool(folded & _RECENT_WORDS)


def relevant_sentences(notes: Sequence[Note], question: str, limit: int = 5) -> list[Quote]:
    """The sentences sharing the most (rarest) lemmas with `question`; the newest first when the
    question asks "when … last", else the best first. Sentences sharing nothing are never returned."""
    wanted = question_lemmas(question)
    if not wanted:
        return []
    documents = Counter(w for n in notes for w in set(x for s in n.lemmas for x in s))
    total = max(len(notes), 1)
    scored: list[Quote] = []
    for note in notes:
        for sentence, lemmas in zip(note.sentences, note.lemmas, strict=True):
            shared = wanted & set(lemmas)
            if not shared:
                continue
            score = sum(math.log(1 + total / documents[w]) for w in shared) / math.sqrt(len(lemmas) or 1)
            scored.append(Quote(sentence.text, note.session_id, note.date, round(score, 6)))
    if asks_for_latest(question):
        best = max((q.score for q in scored), default=0)
        scored = [q for q in scored if q.score >= best * 0.5]
        scored.sort(key=lambda q: (q.date, q.score), reverse=True)
    else:
        scored.sort(key=lambda q: (q.score, q.date), reverse=True)
    return scored[:limit]
