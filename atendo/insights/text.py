"""The language side of the local engine: language per note, sentences, words and their lemmas.

Everything here runs offline on what the wheels ship: simplemma's dictionaries (Portuguese and
English lemmas, so "dormir" and "dormiu" meet) and yake's stop-word lists. Nothing is downloaded,
nothing paraphrased: a sentence is a span of the note, kept verbatim (`Sentence.text` is
`note[start:end]`).

Language: each note is detected on its own by a stop-word count (Portuguese against English),
because a practice may write in both; a note too short to tell takes the workspace's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import simplemma
import yake

LANGUAGES = ("pt", "en")
# Words shorter than this carry no theme and are not indexed (articles, "é", "ok").
MIN_WORD = 3
WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
# A sentence ends at . ! ? … (one or more, with closing quotes or brackets) before white space, or
# at a line break; a list item ("- ", "• ", "1. ") starts one.
_END = re.compile(r"(?<=[.!?…])[\"')\]»”]*\s+|\n+")
# Abbreviations after which a full stop does not end the sentence.
_ABBREVIATIONS = frozenset(
    {
        "dr", "dra", "sr", "sra", "srta", "prof", "profa", "p", "pg", "pág", "ex", "obs", "aprox", "etc",
        "mr", "mrs", "ms", "vs", "e.g", "i.e", "approx", "no", "nº", "min", "h", "cf", "fig", "st",
    }
)  # fmt: skip
_BULLET = re.compile(r"^\s*(?:[-*•·–]+|\d{1,2}[.)])\s+")


def language_code(code: str | None) -> str:
    """`pt-br`, `pt_BR`, `en-us` … -> `pt` or `en` (English for anything else)."""
    return "pt" if (code or "").lower().startswith("pt") else "en"


@lru_cache(maxsize=4)
def stopwords(lang: str) -> frozenset[str]:
    """yake's stop-word list for `lang`, accents folded (so "não" and "nao" are both stop words)."""
    folder = Path(yake.__file__).parent / "core" / "StopwordsList"
    if not folder.exists():
        folder = Path(yake.__file__).parent / "StopwordsList"
    path = folder / f"stopwords_{lang}.txt"
    words = path.read_text(encoding="utf-8", errors="ignore").split() if path.exists() else []
    extra = _EXTRA_STOPWORDS.get(lang, ())
    return frozenset(fold(w.lower()) for w in (*words, *extra)) - _MEANINGFUL


# Words of yake's general-purpose lists that carry a theme in a therapy note.
_MEANINGFUL = frozenset({"trabalho", "noite", "relacao", "mal", "viagem", "conselho", "saude", "familia"})

# What search leaves out: function words only (articles, prepositions, pronouns, conjunctions,
# auxiliaries), so that any content word of a note can be found — "trabalho" and "noite" too.
FUNCTION_WORDS = {
    "pt": frozenset(
        [
            "a",
            "o",
            "as",
            "os",
            "um",
            "uma",
            "uns",
            "umas",
            "de",
            "do",
            "da",
            "dos",
            "das",
            "em",
            "no",
            "na",
            "nos",
            "nas",
            "por",
            "pelo",
            "pela",
            "pelos",
            "pelas",
            "para",
            "com",
            "sem",
            "sob",
            "sobre",
            "entre",
            "ate",
            "desde",
            "ao",
            "aos",
            "e",
            "ou",
            "mas",
            "nem",
            "que",
            "se",
            "como",
            "quando",
            "onde",
            "porque",
            "pois",
            "ja",
            "nao",
            "sim",
            "eu",
            "tu",
            "ele",
            "ela",
            "nos",
            "vos",
            "eles",
            "elas",
            "me",
            "te",
            "lhe",
            "lhes",
            "meu",
            "minha",
            "seu",
            "sua",
            "nosso",
            "nossa",
            "isso",
            "isto",
            "aquilo",
            "esse",
            "essa",
            "este",
            "esta",
            "aquele",
            "aquela",
            "ser",
            "estar",
            "ter",
            "haver",
            "foi",
            "era",
            "sao",
            "esta",
            "estava",
            "tem",
            "tinha",
            "muito",
            "mais",
            "menos",
            "tambem",
            "ainda",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "of",
            "in",
            "on",
            "at",
            "by",
            "for",
            "to",
            "from",
            "with",
            "without",
            "about",
            "into",
            "onto",
            "over",
            "under",
            "and",
            "or",
            "but",
            "nor",
            "that",
            "if",
            "as",
            "when",
            "where",
            "because",
            "so",
            "not",
            "no",
            "yes",
            "i",
            "you",
            "he",
            "she",
            "it",
            "we",
            "they",
            "me",
            "him",
            "her",
            "us",
            "them",
            "my",
            "your",
            "his",
            "its",
            "our",
            "their",
            "this",
            "these",
            "those",
            "be",
            "is",
            "are",
            "was",
            "were",
            "been",
            "being",
            "have",
            "has",
            "had",
            "do",
            "does",
            "did",
            "will",
            "would",
            "can",
            "could",
            "shall",
            "should",
            "may",
            "might",
            "must",
            "very",
            "more",
            "less",
            "also",
            "still",
        ]
    ),
}


# Words of clinical notes that say nothing about a theme (yake's lists are general-purpose).
_EXTRA_STOPWORDS = {
    "pt": (
        "cliente", "paciente", "sessão", "sessao", "hoje", "semana", "relata", "relatou", "refere",
        "referiu", "disse", "diz", "conta", "contou", "falou", "fala", "trouxe", "traz", "ainda", "vez",
        "vezes", "sobre", "tambem", "também", "muito", "pouco", "dia", "dias", "ela", "ele", "foi",
        "está", "esta", "estava", "ter", "tem", "teve", "fazer", "fez", "ser", "bem", "mais", "menos",
        "voltar", "sentir", "tema", "ficar", "achar", "perceber", "conseguir", "chegar", "comecar", "relatar",
        "contar", "falar", "dizer", "trazer", "referir", "notar", "parecer", "estar", "haver", "poder",
    ),
    "en": (
        "client", "patient", "session", "today", "week", "reports", "reported", "says", "said", "told",
        "talked", "mentioned", "still", "also", "very", "much", "day", "days", "she", "he", "her", "his",
        "was", "were", "has", "had", "have", "did", "does", "been", "being", "more", "less",
        "feel", "get", "go", "come", "start", "talk", "tell", "say", "report", "mention", "seem", "make",
    ),
}  # fmt: skip


def fold(word: str) -> str:
    """Accents removed (NFKD without combining marks): "sessão" -> "sessao"."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def detect_language(text: str, default: str = "en") -> str:
    """`pt` or `en` by which language's stop words the text uses more; `default` when it cannot tell."""
    words = [fold(w.lower()) for w in WORD.findall(text[:4000])]
    if len(words) < 4:
        return language_code(default)
    pt = stopwords("pt")
    en = stopwords("en")
    pt_hits = sum(1 for w in words if w in pt and w not in en)
    en_hits = sum(1 for w in words if w in en and w not in pt)
    if pt_hits == en_hits:
        return language_code(default)
    return "pt" if pt_hits > en_hits else "en"


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str) -> str:
    """The dictionary form of `word` (lower case, accents folded): "dormiu" -> "dormir"."""
    lowered = word.lower()
    try:
        found = simplemma.lemmatize(lowered, lang=lang)
    except ValueError:  # a language simplemma does not know: the word itself
        found = lowered
    return fold(found.lower())


def words(text: str) -> list[str]:
    """The words of `text` as written (no punctuation)."""
    return WORD.findall(text)


def content_lemmas(text: str, lang: str, *, stop: frozenset[str] | None = None) -> list[str]:
    """The lemmas of the words that can carry meaning (not in `stop`, by default yake's stop words
    for `lang`; none shorter than MIN_WORD), in the order they appear."""
    if stop is None:
        stop = stopwords(lang)
    out = []
    for word in WORD.findall(text):
        folded = fold(word.lower())
        if len(folded) < MIN_WORD or folded in stop or folded.isdigit():
            continue
        base = lemma(word, lang)
        if base in stop or len(base) < MIN_WORD:
            continue
        out.append(base)
    return out


def index_lemmas(text: str, lang: str) -> list[str]:
    """The lemmas search indexes and looks for: every word but the function words."""
    return content_lemmas(text, lang, stop=FUNCTION_WORDS.get(lang, frozenset()))


@dataclass(frozen=True)
class Sentence:
    """A sentence of a note: `text` is exactly `source[start:end]`."""

    text: str
    start: int
    end: int


def sentences(text: str) -> list[Sentence]:
    """The sentences of `text`, each a verbatim span (leading list markers and spaces left out)."""
    out: list[Sentence] = []
    start = 0
    for match in _END.finditer(text):
        end = match.start()
        if match.group().strip() == "" and "\n" not in match.group() and _abbreviation_before(text, end):
            continue
        _add(text, start, end, out)
        start = match.end()
    _add(text, start, len(text), out)
    return out


def _abbreviation_before(text: str, end: int) -> bool:
    """Whether the full stop at `end - 1` closes an abbreviation ("Dr.", "p. ex.") or an initial."""
    if end == 0 or text[end - 1] != ".":
        return False
    head = text[max(0, end - 12) : end - 1]
    token = re.split(r"\s", head)[-1].lower() if head else ""
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _add(text: str, start: int, end: int, out: list[Sentence]) -> None:
    piece = text[start:end]
    bullet = _BULLET.match(piece)
    if bullet:
        start += bullet.end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start < 2 or not WORD.search(text[start:end]):
        return
    out.append(Sentence(text[start:end], start, end))
