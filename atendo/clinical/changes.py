"""Clinical content was written: the one call the writing services make, for what derives from it.

The services that save notes, session phase values, therapy fields, evaluations and client field
values call `content_changed(...)` themselves, inside their transaction, after the write (never a
signal, which `.update()` and `bulk_create` would skip). The apps that keep something derived from
that content (insights: the search index) sit above them in the layers, so they register a listener
here from their `AppConfig.ready()` (as `fields.registry` does for the field engine).

A listener receives ids only, never text, and reads what it needs itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ContentChange:
    workspace_id: int
    session_ids: frozenset[int]
    evaluation_ids: frozenset[int]
    client_ids: frozenset[int]


Listener = Callable[[ContentChange], None]
_listeners: dict[str, Listener] = {}


def register(name: str, listener: Listener) -> None:
    """Register (or replace) the listener called `name`."""
    _listeners[name] = listener


def content_changed(
    *,
    workspace_id: int,
    session_ids: Iterable[int] = (),
    evaluation_ids: Iterable[int] = (),
    client_ids: Iterable[int] = (),
) -> None:
    """Tell every listener that the clinical content of these records changed (or went away)."""
    change = ContentChange(
        workspace_id=workspace_id,
        session_ids=frozenset(i for i in session_ids if i is not None),
        evaluation_ids=frozenset(i for i in evaluation_ids if i is not None),
        client_ids=frozenset(i for i in client_ids if i is not None),
    )
    if not (change.session_ids or change.evaluation_ids or change.client_ids):
        return
    for listener in _listeners.values():
        listener(change)
