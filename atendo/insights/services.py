"""Questions over a client's notes (`POST clients/{id}/ask`).

The local engine answers with the sentences of the notes that best match the question, each cited
with its session; nothing is paraphrased. With the workspace's language model switched on
(`llm.config_for`), the same excerpts — only what this member may read, never a private note — go
to the model with the question, and its written answer comes back with the excerpts it cites.
Every call to the model is audited (who, which client, how many characters were sent and how it
went — never the text); a timeout or an error falls back to the local answer with a notice.

The model is called outside any transaction (a slow endpoint must not hold SQLite's write lock);
the audit event is written in its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clients.selectors import client_get_for
from atendo.clinical.access import can_read_clinical
from atendo.core.clean import clean_text
from atendo.insights import engine, llm
from atendo.insights.selectors import client_notes, require_insights
from atendo.workspaces.models import Membership

MAX_QUESTION = 500
LOCAL_CITATIONS = 5
LLM_EXCERPTS = 20
_CITED = re.compile(r"\[S(\d+)\]")


@dataclass
class Answer:
    answer: str
    citations: list[dict[str, Any]]
    engine: str  # "local" | "language_model"
    notice: str | None = None
    withheld: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": self.citations,
            "engine": self.engine,
            "notice": self.notice,
            "withheld": self.withheld,
        }


def _citation(quote: engine.Quote) -> dict[str, Any]:
    return {"session_id": quote.session_id, "text": quote.text, "date": quote.date.isoformat()}


def _local(question: str, notes: list[engine.Note]) -> Answer:
    quotes = engine.relevant_sentences(notes, question, limit=LOCAL_CITATIONS)
    if not quotes:
        return Answer(_("No sentence in the notes you may read matches this question."), [], "local")
    sessions = len({q.session_id for q in quotes})
    if engine.asks_for_latest(question):
        latest = max(q.date for q in quotes)
        text = _("Most recently on %(date)s. Matching sentences, newest first:") % {
            "date": date_format(latest, "SHORT_DATE_FORMAT")
        }
    else:
        text = ngettext(
            "The most relevant sentence of the notes (%(sessions)d session):",
            "The most relevant sentences of the notes (%(sessions)d sessions):",
            sessions,
        ) % {"sessions": sessions}
    return Answer(text, [_citation(q) for q in quotes], "local")


def _excerpts(question: str, notes: list[engine.Note]) -> list[engine.Quote]:
    """What the model is sent: the best-matching sentences, then the summary's, no repeats."""
    chosen: list[engine.Quote] = []
    seen: set[tuple[int | None, str]] = set()
    for quote in [*engine.relevant_sentences(notes, question, limit=LLM_EXCERPTS), *engine.summarize(notes)]:
        if (quote.session_id, quote.text) in seen:
            continue
        seen.add((quote.session_id, quote.text))
        chosen.append(quote)
    return chosen[:LLM_EXCERPTS]


def _messages(question: str, excerpts: list[engine.Quote]) -> list[dict[str, str]]:
    language = "Brazilian Portuguese" if (get_language() or "en").startswith("pt") else "English"
    lines = "\n".join(f"[S{q.session_id}] {q.date.isoformat()}: {q.text}" for q in excerpts)
    system = (
        "You help a therapist find things in their own session notes about one client. Answer only "
        "from the excerpts given; never invent or add clinical advice. Cite every excerpt you use "
        "with its tag, e.g. [S12]. If the excerpts do not answer the question, say so. "
        f"Answer briefly, in {language}."
    )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"Excerpts from the notes:\n{lines}\n\nQuestion: {question}"},
    ]


def client_ask(*, member: Membership, client_id: int, question: Any) -> Answer:
    """Answer `question` from the client's notes that `member` may read (see the module docstring)."""
    require_insights(member)
    text = clean_text(question, "question", max_length=MAX_QUESTION, required=True)
    client = client_get_for(member, client_id)
    if not can_read_clinical(member, client.pk):
        # The same answer whatever the question and whatever the notes say.
        return Answer(
            _("You do not have clinical access to this client's notes."), [], "local", withheld=["notes"]
        )
    notes = client_notes(member, client.pk)
    local = _local(text, notes)
    config = llm.config_for(member.workspace)
    if config is None:
        return local
    excerpts = _excerpts(text, notes)
    if not excerpts:
        return local
    messages = _messages(text, excerpts)
    sent = sum(len(m["content"]) for m in messages)
    outcome = "ok"
    reply = ""
    try:
        reply = llm.chat(config, messages)
    except llm.LlmUnavailable as exc:
        outcome = exc.reason
    with transaction.atomic():
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="insights.llm_call",
            obj=client,
            changes={
                "characters_sent": sent,
                "excerpts": len(excerpts),
                "model": config.model,
                "outcome": outcome,
            },
        )
    if outcome != "ok":
        local.notice = _(
            "The language model could not answer (%(reason)s); this answer comes from the built-in engine."
        ) % {"reason": outcome.replace("_", " ")}
        return local
    by_session: dict[int | None, list[engine.Quote]] = {}
    for quote in excerpts:
        by_session.setdefault(quote.session_id, []).append(quote)
    cited = [int(m) for m in dict.fromkeys(_CITED.findall(reply))]
    citations = [_citation(q) for sid in cited for q in by_session.get(sid, [])]
    return Answer(reply, citations, "language_model")
