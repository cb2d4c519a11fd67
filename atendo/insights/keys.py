"""The search index keys of a workspace: the ONE place insights gets them.

The search index stores keyed hashes of lemmas, never words (see `search.py`), so that no plaintext
of clinical content sits in the database, its WAL or a dump. The key is the workspace's
search-index key of the encryption at rest (`clinical.crypto.index_key`: HKDF from its current
data key), so the same word hashes differently in two practices, and nothing in the index opens
without the master key. A data-key rotation tells the content listeners about every record it
re-encrypts (`clinical.changes`), which reindexes them; while it runs, queries try every live key.
"""

from __future__ import annotations

from atendo.clinical import crypto


def index_key(workspace_id: int) -> bytes:
    """The key new tokens are written with (the current data key's)."""
    return crypto.index_key(workspace_id)


def query_keys(workspace_id: int) -> list[bytes]:
    """The keys a query tries: every live data key's, the current one first."""
    return crypto.index_keys(workspace_id)
