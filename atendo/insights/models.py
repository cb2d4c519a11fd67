"""The search index of clinical content: keyed tokens, never words.

One `SearchDocument` per indexed record — a session (its notes, phase values and therapy fields),
an evaluation (its title and values) or a client (its field values) — holding the record's
normalised lemmas, each replaced by a keyed hash (`search.token`). SQLite indexes `tokens` with an
FTS5 table kept in step by triggers, PostgreSQL with a GIN index on `to_tsvector('simple', tokens)`
(migration 0002). Snippets are cut from the record itself at answer time, after the access check.
"""

from __future__ import annotations

from django.db import models

from atendo.core.models import TenantModel


class DocumentKind(models.TextChoices):
    SESSION = "session", "session"
    EVALUATION = "evaluation", "evaluation"
    CLIENT = "client", "client"


class SearchDocument(TenantModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False)
    session = models.ForeignKey(
        "scheduling.Session",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    evaluation = models.ForeignKey(
        "evaluations.Evaluation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    # The record's day in the workspace time zone (a session's start, an evaluation's date): the order
    # results come in, newest first.
    date = models.DateField()
    # Space-separated keyed tokens of the record's lemmas (letters only), in no meaningful order.
    tokens = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-date", "-id"], name="searchdoc_ws_date"),
            models.Index(fields=["workspace", "client", "-date"], name="searchdoc_ws_client_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "session"],
                condition=models.Q(session__isnull=False),
                name="searchdoc_one_per_session",
            ),
            models.UniqueConstraint(
                fields=["workspace", "evaluation"],
                condition=models.Q(evaluation__isnull=False),
                name="searchdoc_one_per_evaluation",
            ),
            models.UniqueConstraint(
                fields=["workspace", "client"],
                condition=models.Q(kind="client"),
                name="searchdoc_one_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} document {self.pk}"
