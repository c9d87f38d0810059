"""``parameters.timesfm`` (the XReg knobs) and ``options.torch_compile``, checked into 400s."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastParameters

XREG_MODES = ("xreg + timesfm", "timesfm + xreg")


@dataclass(frozen=True)
class Knobs:
    """How ``forecast_with_covariates`` combines the ridge regression with the model."""

    xreg_mode: str = "xreg + timesfm"
    ridge: float = 0.0
    force_on_cpu: bool = False


def parse_knobs(parameters: ForecastParameters) -> Knobs:
    section = (parameters.model_extra or {}).get("timesfm")
    if section is None:
        return Knobs()
    if not isinstance(section, dict):
        raise InvalidRequest(f"parameters.timesfm must be an object, not {type(section).__name__}")
    if unknown := sorted(set(section) - {"xreg_mode", "ridge", "force_on_cpu"}):
        raise InvalidRequest(
            f"parameters.timesfm has unknown keys {', '.join(unknown)}; use xreg_mode, ridge, force_on_cpu"
        )
    mode = section.get("xreg_mode", Knobs.xreg_mode)
    if mode not in XREG_MODES:
        raise InvalidRequest(f"parameters.timesfm.xreg_mode must be 'xreg + timesfm' or 'timesfm + xreg', not {mode!r}")
    ridge = section.get("ridge", Knobs.ridge)
    if isinstance(ridge, bool) or not isinstance(ridge, int | float) or not math.isfinite(ridge) or ridge < 0:
        raise InvalidRequest(f"parameters.timesfm.ridge must be a finite number >= 0, not {ridge!r}")
    on_cpu = section.get("force_on_cpu", Knobs.force_on_cpu)
    if not isinstance(on_cpu, bool):
        raise InvalidRequest(f"parameters.timesfm.force_on_cpu must be true or false, not {on_cpu!r}")
    return Knobs(mode, float(ridge), on_cpu)


def torch_compile_option(options: dict[str, Any]) -> bool:
    value = options.get("torch_compile", False)
    if not isinstance(value, bool):
        raise InvalidRequest(f"options.torch_compile must be true or false, not {value!r}")
    return value
