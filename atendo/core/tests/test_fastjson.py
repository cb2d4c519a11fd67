"""core.fastjson gives the standard library's answers: the same values for `loads`, the same JSON
for `dumps` (the same bytes but for an exponent's spelling)."""

from __future__ import annotations

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from atendo.core import fastjson

TRICKY = [
    "{}",
    '{"a": 1, "a": 2}',
    "123456789012345678901234567890",
    "-9223372036854775809",
    "18446744073709551616",
    "9223372036854775807",
    "1e400",
    "-1e400",
    "NaN",
    "[Infinity]",
    '"\\ud800"',
    '"Ação 中 😀 \\u2028"',
    "1.0000000000000000000001",
    "0.1e-400",
    '{"x": [1, 2.5, -0.0, true, null, "s"]}',
    "[" * 2000 + "]" * 2000,
]


def _same(a, b):
    if isinstance(a, type) or isinstance(b, type):  # both raised the same error
        return a is b
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) and type(a) is type(b)


def test_loads_answers_like_json_on_tricky_documents():
    for text in TRICKY:
        for raw in (text, text.encode("utf-8", "surrogatepass")):
            try:
                expected = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                expected = type(exc)
            try:
                got = fastjson.loads(raw)
            except (ValueError, RecursionError) as exc:
                got = type(exc)
            if isinstance(expected, float) and math.isnan(expected):
                assert math.isnan(got)
            else:
                assert _same(got, expected), text[:40]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_loads_and_dumps_agree_with_json(value):
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: not storable as UTF-8
        raw = None
    assert _same(fastjson.loads(text), json.loads(text))
    if raw is not None:
        assert _same(fastjson.loads(raw), json.loads(raw))
        written = fastjson.dumps(value)
        assert json.loads(written) == json.loads(text)
        if "e-" not in text:  # orjson spells small exponents shorter (1e-7 for 1e-07)
            assert written == raw


def test_dumps_falls_back_where_orjson_refuses():
    value = {"big": 2**70, "small": -(2**64), 1: "an int key"}
    assert fastjson.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
