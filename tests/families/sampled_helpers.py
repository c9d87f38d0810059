"""Checks shared by the tests of the sampling families (Sundial, Toto) against a ``FamilyRig``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from tollama.testing.families import FamilyRig

ATOL = 1e-4
RTOL = 1e-4


def ok(rig: FamilyRig, request: dict[str, Any]) -> dict[str, Any]:
    """A forecast that must succeed; the daemon log in the failure message otherwise."""
    response = rig.forecast(request)
    assert response.status_code == 200, f"{response.status_code}: {response.text}\n{rig.daemon.log()[-3000:]}"
    return response.json()


def assert_same_forecasts(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    """Ids in order, means and every quantile equal within float tolerance."""
    assert [f["id"] for f in answer["forecasts"]] == [f["id"] for f in expected["forecasts"]]
    for got, want in zip(answer["forecasts"], expected["forecasts"], strict=True):
        np.testing.assert_allclose(got["mean"], want["mean"], rtol=RTOL, atol=ATOL, err_msg=got["id"])
        for level, values in want["quantiles"].items():
            np.testing.assert_allclose(got["quantiles"][level], values, rtol=RTOL, atol=ATOL, err_msg=level)


def spread(forecast: dict[str, Any], low: str = "0.1", high: str = "0.9") -> float:
    return float(np.mean(np.asarray(forecast["quantiles"][high]) - np.asarray(forecast["quantiles"][low])))


def runner_python(rig: FamilyRig) -> str:
    info = httpx.get(f"{rig.daemon.base_url}/api/info", timeout=30, trust_env=False).json()
    return next(r["python"] for r in info["runners"] if r["family"] == rig.family)


def corrupted_copy(rig: FamilyRig, checkpoint: Path, out: Path, how: str = "drop") -> str:
    """``checkpoint`` with one tensor of ``model.safetensors`` removed (``drop``) or renamed
    (``rename``); returns the tensor's original name. Rewritten with the runtime's python.
    """
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(checkpoint, out)
    code = (
        "import sys; from safetensors.torch import load_file, save_file; f, how = sys.argv[1:]; t = load_file(f); "
        "k = sorted(t)[len(t) // 2]; v = t.pop(k); t.update({k + '_renamed': v} if how == 'rename' else {}); "
        "save_file(t, f, metadata={'format': 'pt'}); print(k)"
    )
    return rig.run_python("-c", code, str(out / "model.safetensors"), how).stdout.strip()


def republish(rig: FamilyRig, model: str, checkpoint: Path) -> None:
    """Replace the installed model by ``checkpoint`` as a user would: rm, then pull the new commit."""
    rig.cli("rm", model)
    rig.publish(model, checkpoint)
    events = rig.pull(model)
    assert events[-1].get("status") == "success", events[-3:]


def read_example(name: str) -> dict[str, Any]:
    return json.loads((Path(__file__).resolve().parents[2] / "examples" / name).read_text())
