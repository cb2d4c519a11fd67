"""The full-text side of the search index (see atendo/insights/models.py and search.py).

SQLite: an FTS5 table over `insights_searchdocument.tokens` (external content), kept in step by
triggers, so every insert, update and delete (cascades included) reaches it. PostgreSQL: a GIN index
on `to_tsvector('simple', tokens)` (the tokens are keyed hashes, so no language configuration).
"""

from __future__ import annotations

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE insights_search_fts USING fts5("
    "tokens, content='insights_searchdocument', content_rowid='id', tokenize='ascii')",
    "CREATE TRIGGER insights_search_ai AFTER INSERT ON insights_searchdocument BEGIN "
    "INSERT INTO insights_search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER insights_search_ad AFTER DELETE ON insights_searchdocument BEGIN "
    "INSERT INTO insights_search_fts(insights_search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); END",
    "CREATE TRIGGER insights_search_au AFTER UPDATE OF tokens ON insights_searchdocument BEGIN "
    "INSERT INTO insights_search_fts(insights_search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO insights_search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS insights_search_au",
    "DROP TRIGGER IF EXISTS insights_search_ad",
    "DROP TRIGGER IF EXISTS insights_search_ai",
    "DROP TABLE IF EXISTS insights_search_fts",
]
POSTGRESQL = [
    "CREATE INDEX searchdoc_tokens_gin ON insights_searchdocument USING gin (to_tsvector('simple', tokens))",
]
POSTGRESQL_REVERSE = ["DROP INDEX IF EXISTS searchdoc_tokens_gin"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
