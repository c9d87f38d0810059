"""Checks shared by the family tests (torch-based families against a ``FamilyRig``)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from tollama.testing.families import FamilyRig

ATOL = 1e-4
RTOL = 1e-4
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def ok(rig: FamilyRig, request: dict[str, Any]) -> dict[str, Any]:
    """A forecast that must succeed; the daemon log in the failure message otherwise."""
    response = rig.forecast(request)
    assert response.status_code == 200, f"{response.status_code}: {response.text}\n{rig.daemon.log()[-3000:]}"
    return response.json()


def refused(rig: FamilyRig, request: dict[str, Any], *words: str) -> None:
    """A 400 whose message holds every one of ``words``."""
    response = rig.forecast(request)
    assert response.status_code == 400, f"{response.status_code}: {response.text}"
    message = response.json()["error"]
    assert all(w in message for w in words), message


def assert_same_forecasts(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    """Ids in order, means and every quantile equal within float tolerance.

    The daemon sorts quantiles at each step (random heads cross), so the library's are sorted too.
    """
    assert [f["id"] for f in answer["forecasts"]] == [f["id"] for f in expected["forecasts"]]
    for got, want in zip(answer["forecasts"], expected["forecasts"], strict=True):
        np.testing.assert_allclose(got["mean"], want["mean"], rtol=RTOL, atol=ATOL, err_msg=got["id"])
        levels = sorted(want["quantiles"], key=float)
        if not levels:
            continue
        ordered = np.sort(np.asarray([want["quantiles"][q] for q in levels]), axis=0)
        for level, values in zip(levels, ordered, strict=True):
            np.testing.assert_allclose(got["quantiles"][level], values, rtol=RTOL, atol=ATOL, err_msg=level)


def max_difference(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(np.max(np.abs(np.asarray(a["mean"]) - np.asarray(b["mean"]))))


def runner_info(rig: FamilyRig) -> dict[str, Any]:
    info = httpx.get(f"{rig.daemon.base_url}/api/info", timeout=30, trust_env=False).json()
    return next(r for r in info["runners"] if r["family"] == rig.family)


def read_example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def wave(n: int, scale: float = 1.0, offset: float = 10.0) -> list[float]:
    """A deterministic, non-trivial series (no randomness: answers are compared across processes)."""
    return [round(offset + scale * (3 * math.sin(i / 3) + ((i * 7) % 5) * 0.4 + 0.05 * i), 4) for i in range(n)]


def spread(forecast: dict[str, Any], low: str = "0.1", high: str = "0.9") -> float:
    return float(np.mean(np.asarray(forecast["quantiles"][high]) - np.asarray(forecast["quantiles"][low])))


def runner_python(rig: FamilyRig) -> str:
    return str(runner_info(rig)["python"])


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
    rig.install(model, checkpoint)
