"""The supervisor restarts a runner whose runtime changed instead of serving from a stale one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from tollama.core.config import Paths
from tollama.core.registry import get_spec
from tollama.core.schemas import ModelManifest
from tollama.daemon.spawn import make_spawn
from tollama.daemon.supervisor import Supervisor

REQUEST = {"horizon": 1, "series": [{"id": "a", "target": [1.0, 2.0]}]}


def test_a_runner_is_restarted_when_its_family_runtime_changes(tmp_path: Path) -> None:
    manifest = ModelManifest(**get_spec("mock").model_dump(), pulled_at=datetime.now(UTC).isoformat())
    runtime = {"mock": "build-1"}

    async def scenario() -> None:
        supervisor = Supervisor(
            make_spawn(Paths(tmp_path)), timeout=60, default_keep_alive=300, runtime_of=runtime.__getitem__
        )
        try:
            async with supervisor.lease(manifest, None) as lease:
                await lease.forecast(REQUEST)
                first = lease.model.runner
            async with supervisor.lease(manifest, None) as lease:
                assert lease.model.runner is first  # same runtime: the loaded model is reused
            runtime["mock"] = "build-2"
            async with supervisor.lease(manifest, None) as lease:
                await lease.forecast(REQUEST)
                second = lease.model.runner
            assert second is not first and second.is_alive
            assert not first.is_alive
            assert supervisor.restarts["mock"] == 1
        finally:
            await supervisor.close()

    asyncio.run(scenario())
