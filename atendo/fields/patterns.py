"""A text field's `validation.pattern`, matched in linear time.

Patterns come from whoever manages a workspace's fields, and values from anyone who fills a form,
so a backtracking engine (Python's `re`) lets one pattern such as `^(a+)+$` and a 30-character
value stall a server process for seconds. RE2 (google-re2) matches in time linear in the value;
the price is that it has no back-references (`\\1`, `(?P=name)`) and no look-around (`(?=…)`,
`(?<=…)`), so such patterns are refused when a definition is saved (`pattern_error`), and a stored
one RE2 cannot compile (saved before this rule) fails closed: `compile_pattern` returns None and
the engine refuses values with a message naming the field, instead of skipping the check.

RE2's `\\w` and `\\W` are ASCII-only where Python's are Unicode; Portuguese values ("João",
"ação") must keep matching `\\w+`, so both are rewritten to their Unicode classes before compiling.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

_WORD = r"\p{L}\p{N}_"
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the user's input, not a server error to log


def _unicode_words(pattern: str) -> str:
    """`\\w` -> `[\\p{L}\\p{N}_]` (inside a class: its members), `\\W` -> `[^\\p{L}\\p{N}_]` outside a
    class. Escaped backslashes are copied as they are."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped == "w":
                out.append(_WORD if in_class else f"[{_WORD}]")
            elif escaped == "W" and not in_class:
                out.append(f"[^{_WORD}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            # A "]" right after "[" or "[^" is a member, not the end of the class.
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("]")
                i += 1
        elif char == "[" and pattern[i + 1 : i + 2] == ":" and ":]" in pattern[i + 2 :]:
            end = pattern.index(":]", i + 2) + 2  # a POSIX class such as [:alpha:] inside a class
            out.append(pattern[i:end])
            i = end
            continue
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def _compile(pattern: str) -> tuple[Any, str]:
    try:
        return re2.compile(_unicode_words(pattern), _OPTIONS), ""
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        return None, detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)


def compile_pattern(pattern: str) -> Any | None:
    """The compiled RE2 pattern, or None when RE2 cannot compile it."""
    return _compile(pattern)[0]


def pattern_error(pattern: str) -> str | None:
    """Why RE2 refuses `pattern` (its own words, e.g. "invalid escape sequence: \\1"), or None."""
    compiled, detail = _compile(pattern)
    return None if compiled is not None else detail or "invalid pattern"
