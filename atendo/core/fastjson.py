"""The standard library's JSON answers, faster: orjson where it gives exactly the same, `json` where
it would not. For stored JSON on hot paths (a week of sessions decodes ~10,000 documents and writes
one of ~2 MB); JSON from a client still goes through `core.json_input`.

`loads` is `json.loads`. orjson refuses some of what json accepts (NaN and out-of-range numbers,
lone surrogates, nesting past 1,024 levels): those go to json. It also reads an integer past 64 bits
as a float instead of refusing it, so any text with a run of 19 or more digits goes to json too
(every integer that orjson reads exactly has at most 19 digits, and a positive one with exactly 19
fits in 64 bits, but a negative one might not). Floats are correctly rounded by both
(`tests/test_fastjson.py` compares them).

`dumps` is `json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()`: UTF-8, compact,
the same escapes, keys in insertion order. The only textual difference is an exponent orjson spells
shorter (1e-7 for json's 1e-07), the same number. What orjson refuses (an integer past 64 bits, a
lone surrogate, a type it does not know) goes to json, which then answers or raises as it would.
NaN and infinities are written null by orjson (json writes `NaN`, which no JSON parser reads):
nothing stored holds them (the fields engine refuses non-finite numbers). orjson also writes a few
types json refuses (datetimes, UUIDs, dataclasses): give it primitive values only.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_NUMBER = re.compile(rb"\d{19}")
_LONG_NUMBER_TEXT = re.compile(r"\d{19}")


def loads(raw: str | bytes) -> Any:
    """`json.loads(raw)`."""
    long_number = _LONG_NUMBER.search(raw) if isinstance(raw, bytes) else _LONG_NUMBER_TEXT.search(raw)
    if long_number is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def dumps(value: Any) -> bytes:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()`, see the module."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
