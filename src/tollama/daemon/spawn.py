"""How a family's runner process is started: command line, environment, log file."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from tollama.core.config import Paths
from tollama.daemon.memory_return import runner_heap_env
from tollama.daemon.runner_process import RunnerProcess
from tollama.daemon.supervisor import SpawnFn

CommandFor = Callable[[str], list[str]]


def single_env_command(family: str) -> list[str]:
    """Run the family's runner with the daemon's own interpreter (single-env mode)."""
    return [sys.executable, "-m", f"tollama.runners.{family}.main"]


# Model code has no use for the daemon's keys, nor for the Hugging Face token (pulls, which
# need it, run in the daemon; runners load local snapshots).
RUNNER_HIDDEN_ENV = (
    "TOLLAMA_API_KEYS",
    "TOLLAMA_API_KEY",
    "TOLLAMA_HF_TOKEN",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_TOKEN",
)


def runner_env() -> dict[str, str]:
    """The daemon's environment, minus the API keys and HF tokens (runners run third-party model code)."""
    env = {name: value for name, value in os.environ.items() if name not in RUNNER_HIDDEN_ENV}
    env.setdefault("PYTHONUNBUFFERED", "1")
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    env["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"  # nor the token file under HF_HOME, for any hub call
    runner_heap_env(env)
    return env


def make_spawn(paths: Paths, command_for: CommandFor = single_env_command) -> SpawnFn:
    """A spawn function for the supervisor: start the runner and finish its handshake."""

    async def spawn(family: str) -> RunnerProcess:
        runner = RunnerProcess(family, command_for(family), runner_env(), paths.logs / f"runner-{family}.log")
        await runner.start()
        return runner

    return spawn
