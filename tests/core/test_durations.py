from __future__ import annotations

import pytest

from tollama.core.durations import NEVER, parse_keep_alive
from tollama.core.errors import InvalidRequest


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, 300.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("90s", 90.0),
        ("250ms", 0.25),
        (0, 0.0),
        ("0", 0.0),
        (12, 12.0),
        (-1, NEVER),
        ("-1", NEVER),
        ("-5m", NEVER),
    ],
)
def test_ollama_keep_alive_forms(value, seconds):
    assert parse_keep_alive(value, default=300.0) == seconds


@pytest.mark.parametrize("value", ["soon", "5 minutes", "m5", True])
def test_bad_keep_alive_is_a_400(value):
    with pytest.raises(InvalidRequest, match="keep_alive"):
        parse_keep_alive(value, default=1.0)
