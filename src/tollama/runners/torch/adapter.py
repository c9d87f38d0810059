"""The torch family's adapter: Chronos-2, Chronos-Bolt, Granite TTM and FlowState behind one runner.

Which library serves a snapshot is read from its ``config.json`` (a Chronos config carries
``chronos_config``; TTM's ``model_type`` is ``tinytimemixer``, FlowState's ``flowstate``), so the
registry needs no extra field. Models load on the CPU in float32 and move when a request's options ask for another
device or dtype (see ``base.py``).

Every model here forecasts each series on its own, so the adapter is ``batchable`` and keeps
the default ``can_merge`` (all requests merge): the runner loop merges concurrent requests with
equal horizon, quantiles and options into one ``forecast`` call. Chronos-Bolt and TTM scale
and encode each series alone. Chronos-2 is called without ``cross_learning``: each input gets
its own group id, and its group attention never reaches another input (a series' covariates
are in its own group); should a request ever turn cross-learning on, ``can_merge`` must keep it
alone. Merged answers equal unmerged ones up to the float rounding of another batch shape, as a
multi-series request's already do. Warnings naming series are written once per originating
request (``base.series_warnings``), so each survives the split whole.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import torch

from tollama.core.errors import ModelNotFound, RunnerUnavailable
from tollama.core.schemas import ForecastRequest, ModelManifest, RunnerForecast
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.torch.base import TorchModel
from tollama.runners.torch.chronos import ChronosModel
from tollama.runners.torch_options import batch_size_option, configure_threads, device_option, dtype_option

logger = logging.getLogger("tollama.runner.torch")
LIBRARIES = ("torch", "chronos-forecasting", "granite-tsfm", "transformers")
NO_GRANITE = (
    "the torch runner cannot import granite-tsfm (tsfm_public), which Granite TTM needs: install it with "
    "`pip install --no-deps granite-tsfm==0.3.11` plus its dependencies (docs/runtimes.md), or let tollama "
    "build the torch runtime (`tollama config set daemon.auto_bootstrap true`)"
)


def model_class(snapshot: Path) -> type[TorchModel]:
    """Chronos (2 or Bolt) or TinyTimeMixer, from the snapshot's own config."""
    try:
        config = json.loads((snapshot / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunnerUnavailable(f"cannot read the model config in {snapshot}: {exc}") from None
    if "chronos_config" in config:
        return ChronosModel
    if config.get("model_type") == "flowstate":
        try:
            from tollama.runners.torch.flowstate import FlowStateModel
        except ImportError:
            raise RunnerUnavailable(NO_GRANITE.replace("Granite TTM", "FlowState")) from None
        return FlowStateModel
    if config.get("model_type") == "tinytimemixer":
        try:  # installed --no-deps outside the extra: Chronos keeps working without it
            from tollama.runners.torch.granite import GraniteModel
        except ImportError:
            raise RunnerUnavailable(NO_GRANITE) from None
        return GraniteModel
    raise RunnerUnavailable(f"{snapshot} holds no Chronos, TinyTimeMixer or FlowState checkpoint")


class TorchAdapter(FamilyAdapter):
    family = "torch"
    libraries = LIBRARIES
    batchable = True

    def __init__(self) -> None:
        self.threads = configure_threads()
        self._models: dict[str, TorchModel] = {}
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "threads": self.threads, "cuda": torch.cuda.is_available()}

    def load(self, manifest: ModelManifest) -> None:
        path = manifest.resolved.snapshot_path
        if not path:
            raise RunnerUnavailable(f"model '{manifest.name}' has no snapshot; pull it again")
        snapshot = Path(path).resolve()
        model = model_class(snapshot)(manifest.name, snapshot)
        with model.lock:
            model.place("cpu", torch.float32)
        with self._lock:
            old = self._models.pop(manifest.name, None)
            self._models[manifest.name] = model
        if old is not None:
            old.release()
        logger.info("loaded %s (%s) from %s", manifest.name, type(model.net).__name__, snapshot)

    def unload(self, name: str) -> None:
        with self._lock:
            model = self._models.pop(name, None)
        if model is not None:
            with model.lock:
                model.release()
            logger.info("unloaded %s", name)

    def forecast(self, model: str, request: ForecastRequest) -> RunnerForecast:
        with self._lock:
            loaded = self._models.get(model)
        if loaded is None:
            raise ModelNotFound(f"model '{model}' is not loaded in the torch runner")
        options = request.options
        device, dtype, batch_size = device_option(options), dtype_option(options), batch_size_option(options)
        with loaded.lock, torch.inference_mode():
            loaded.place(device, dtype)
            names = sorted({n for s in request.series for n in s.past_covariates})
            logger.info("forecast model=%s series=%d horizon=%d covariates=%s", model, len(request.series),
                        request.horizon, ",".join(names) or "-")  # fmt: skip
            return loaded.forecast(request, batch_size)
