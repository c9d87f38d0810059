"""``parameters.timesfm`` and ``options.torch_compile``: defaults, parsing, and one clear 400 per bad value."""

from __future__ import annotations

import pytest

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastParameters
from tollama.runners.timesfm.knobs import Knobs, parse_knobs, torch_compile_option


def test_timesfm_knobs_default_and_parse() -> None:
    assert parse_knobs(ForecastParameters()) == Knobs("xreg + timesfm", 0.0, False)
    section = {"xreg_mode": "timesfm + xreg", "ridge": 2, "force_on_cpu": True}
    assert parse_knobs(ForecastParameters(timesfm=section)) == Knobs("timesfm + xreg", 2.0, True)
    assert torch_compile_option({}) is False and torch_compile_option({"torch_compile": True}) is True


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"xreg_mode": "xreg"}, "xreg_mode"),
        ({"ridge": -0.1}, "ridge"),
        ({"ridge": True}, "ridge"),
        ({"ridge": "1"}, "ridge"),
        ({"force_on_cpu": 1}, "force_on_cpu"),
        ({"mode": "x"}, "unknown keys mode"),
        ([], "must be an object"),
    ],
)
def test_bad_timesfm_knobs_are_400s_naming_the_field(section: object, field: str) -> None:
    with pytest.raises(InvalidRequest, match=field):
        parse_knobs(ForecastParameters(timesfm=section))
