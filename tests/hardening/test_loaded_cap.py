"""The loaded-model cap in the supervisor, with the real mock runner: LRU order and all-busy."""

from __future__ import annotations

import asyncio

import pytest

from tollama.core.config import Paths
from tollama.core.errors import ServerBusy
from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest
from tollama.daemon.spawn import make_spawn
from tollama.daemon.supervisor import Supervisor


def _manifest(name: str) -> ModelManifest:
    """Mock-family manifests under other names: the supervisor takes manifests, not registry entries."""
    return ModelManifest(**{**get_spec("mock").model_dump(), "name": name}, pulled_at="2025-01-01T00:00:00+00:00")


A, B, C = _manifest("mock-a"), _manifest("mock-b"), _manifest("mock-c")


def _run(tmp_path, scenario, max_loaded: int, timeout: float = 30.0):
    async def main():
        supervisor = Supervisor(
            make_spawn(Paths(tmp_path)), timeout=timeout, default_keep_alive=300, max_loaded=max_loaded
        )
        try:
            return await scenario(supervisor)
        finally:
            await supervisor.close()

    return asyncio.run(main())


def test_the_least_recently_used_idle_model_goes_first(tmp_path):
    async def scenario(supervisor: Supervisor):
        for manifest in (A, B, A):  # A is used last: B is the least recently used
            async with supervisor.lease(manifest, None):
                pass
        async with supervisor.lease(C, None):
            pass
        return sorted(m.name for m in supervisor.loaded_models()), supervisor.evictions

    loaded, evictions = _run(tmp_path, scenario, max_loaded=2)
    assert loaded == ["mock-a", "mock-c"] and evictions == 1


def test_at_the_cap_with_every_model_busy_a_load_waits_then_answers_busy(tmp_path):
    async def scenario(supervisor: Supervisor):
        async with supervisor.lease(A, None):
            with pytest.raises(ServerBusy) as busy:
                async with supervisor.lease(B, None):
                    pass
        async with supervisor.lease(B, None):  # A is idle now: it is unloaded for B
            pass
        return busy.value, [m.name for m in supervisor.loaded_models()], supervisor.evictions

    busy, loaded, evictions = _run(tmp_path, scenario, max_loaded=1, timeout=1.0)
    assert busy.status_code == 503 and "TOLLAMA_MAX_LOADED_MODELS" in busy.message
    assert busy.headers["Retry-After"].isdigit()
    assert loaded == ["mock-b"] and evictions == 1
