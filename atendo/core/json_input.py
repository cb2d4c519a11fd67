"""JSON that a client sends, read without letting its shape exhaust the server.

Python's JSON decoder and any recursive walk of what it returns fail with `RecursionError` (a 500)
somewhere near 1,000 levels of nesting, and a few hundred levels already make every later recursive
step (comparison, serialisation) costly. Nothing Atendo stores is that deep: field values nest at
most 8 levels (about 20 JSON levels with their arrays of objects), definitions 5. So JSON from a
client is refused beyond `MAX_DEPTH` levels, by `loads` (the API's input guard, JSON typed into a
page) and `scalars` (the guard's walk), which are loops, not recursion.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 32


class TooDeep(ValueError):
    """The document nests deeper than `MAX_DEPTH`; `path` names where (e.g. `fields.a[0][0]`)."""

    def __init__(self, path: str):
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels at {path or 'the top'}")
        self.path = path


def decode(text: str | bytes) -> Any:
    """`json.loads`, raising `TooDeep` instead of `RecursionError` (nesting checked later by
    `scalars`, which a caller walks anyway)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep("") from None


def loads(text: str | bytes) -> Any:
    """`json.loads`, raising `TooDeep` for a document nested deeper than `MAX_DEPTH` (and
    `ValueError` for one that is not JSON, as `json.loads` does)."""
    value = decode(text)
    for _path, _scalar in scalars(value):
        pass
    return value


def scalars(value: Any) -> Iterator[tuple[str, Any]]:
    """Every scalar of `value` with its path (`a.b[2].c`), in document order; a key holding NUL is
    yielded as the scalar at its parent's path (so a check of text values sees it). Raises `TooDeep`."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, dict | list) and depth >= MAX_DEPTH:
            raise TooDeep(path)
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                if "\x00" in key:
                    children.append((path, key, depth + 1))
                else:
                    children.append((f"{path}.{key}" if path else key, child, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{path}[{i}]", child, depth + 1) for i, child in enumerate(item)]))
        else:
            yield path, item
