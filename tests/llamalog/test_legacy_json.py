"""legacy_records.parse_json: msgspec's decoder where it can, json.loads for what it refuses; the same
value as json.loads either way, and json.JSONDecodeError (a row reported unreadable) for non-JSON."""

from __future__ import annotations

import json
import math

import pytest

from app.llamalog.legacy_records import parse_json

SAME = [
    '{"title": "Abbey Road", "tracks": 17, "score": 0.93, "tags": ["rock", null, true]}',
    '{"a": 1, "a": 2}',  # a key twice: the last wins
    "[123456789012345678901234567890, -0.0, 1e-320, 1.5]",  # a big int exactly, a subnormal
    '{"x": "\\u0000<b>&"}',  # NUL and markup come through as text (fitted and escaped later)
    '"\\ud800"',  # a lone surrogate: msgspec refuses it, json.loads keeps it
    '{"a": 1e400}',  # out of a float's range: inf, as json.loads gives
]


@pytest.mark.parametrize("text", SAME)
def test_the_same_value_as_json_loads(text: str) -> None:
    assert repr(parse_json(text)) == repr(json.loads(text))


def test_nan_as_json_loads_reads_it() -> None:
    assert math.isnan(parse_json('{"a": NaN}')["a"])


@pytest.mark.parametrize("text", ["{", '{"a":}', "", "{'a': 1}"])
def test_not_json_is_a_json_decode_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_json(text)
