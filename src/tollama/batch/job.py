"""``forecast_files``: a batch job from input files to an output folder, on either engine.

Counts the series first (the id column only) so the progress bar has a total and a bad grouping
fails before any work; claims the output folder (a rerun of the same job resumes it); runs the
missing chunks; merges the errors and writes ``_SUCCESS`` with the summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from tollama.batch.chunk import BatchSpec, forecast_chunk
from tollama.batch.folder import ERRORS_FILE, JobFolder
from tollama.batch.source import Source
from tollama.core.config import Paths
from tollama.core.errors import InvalidRequest, ModelNotFound, TollamaError
from tollama.core.registry import get_spec
from tollama.core.store import ModelStore

ENGINES = ("local", "ray")
DEFAULT_CHUNK_SERIES = 1000


@dataclass
class BatchSummary:
    series: int
    failed: int
    chunks: int
    resumed_chunks: int
    seconds: float
    output: str
    errors_file: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def forecast_files(
    model: str,
    input: str | Path,
    output: str | Path,
    *,
    horizon: int,
    quantiles: list[float] | None = None,
    freq: str | None = None,
    options: dict[str, Any] | None = None,
    engine: str = "local",
    address: str | None = None,
    workers: int = 1,
    chunk_series: int = DEFAULT_CHUNK_SERIES,
    overwrite: bool = False,
    base_url: str | None = None,
    timeout: float | None = None,
    console: Console | None = None,
) -> BatchSummary:
    """Forecast every series of ``input`` into Parquet files under ``output`` (the CLI's ``tollama batch``)."""
    if engine not in ENGINES:
        raise InvalidRequest(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if horizon < 1 or chunk_series < 1 or workers < 1:
        raise InvalidRequest("--horizon, --chunk-series and --workers must be at least 1")
    started = time.perf_counter()
    source = Source.open(input)
    spec = BatchSpec(model, horizon, tuple(quantiles) if quantiles else None, freq, dict(options or {}))
    total, chunks = source.count(chunk_series)
    job = {
        "model": model, "horizon": horizon, "quantiles": list(spec.quantiles or ()), "freq": freq,
        "options": spec.options, "engine": engine, "chunk_series": chunk_series, "chunks": chunks,
        "input": [str(p) for p in source.files], "input_fingerprint": source.fingerprint(),
    }  # fmt: skip
    folder = JobFolder(output, job)
    folder.claim(overwrite)
    resumed = len(folder.done())
    done_series, _ = folder.counts()
    with _progress(console, total, done_series) as advance:
        if engine == "local":
            _run_local(source, spec, folder, chunk_series, base_url, timeout, advance)
        else:
            _run_ray(source, spec, folder, chunks, address, workers, advance)
    series, failed = folder.counts()
    summary = BatchSummary(
        series, failed, chunks, resumed, round(time.perf_counter() - started, 3), str(folder.root),
        str(folder.root / ERRORS_FILE),
    )  # fmt: skip
    folder.finish(summary.as_dict())
    return summary


def _run_local(
    source: Source,
    spec: BatchSpec,
    folder: JobFolder,
    chunk_series: int,
    base_url: str | None,
    timeout: float | None,
    advance: Callable[[int], None],
) -> None:
    """Chunk after chunk to the daemon's ``/api/forecast``; finished chunks are only read past."""
    from tollama.client import Client

    done = folder.done()
    with Client(base_url=base_url, timeout=timeout) as client:
        for index, frame in enumerate(source.chunks(chunk_series)):
            if index in done:
                continue
            result = forecast_chunk(frame, spec, client.forecast)
            folder.write_chunk(index, result)
            advance(result.series)


def _run_ray(
    source: Source,
    spec: BatchSpec,
    folder: JobFolder,
    chunks: int,
    address: str | None,
    workers: int,
    advance: Callable[[int], None],
) -> None:
    from tollama.batch import ray_engine

    _check_known(spec.model)
    leave = ray_engine.connect(address, workers)
    try:
        ray_engine.run_ray(source, spec, folder, chunks=chunks, workers=workers, on_chunk=advance)
    except TollamaError:
        raise
    except Exception as exc:
        cause = ray_engine.unwrap(exc)
        if cause is None:
            raise
        raise cause from None
    finally:
        leave()


def _check_known(model: str) -> None:
    """A name no node could install fails here, before a cluster starts (nodes pull what they lack)."""
    try:
        ModelStore(Paths.from_env().models).get(model)
    except ModelNotFound:
        get_spec(model)  # raises, naming `tollama list --available`, when the registry lacks it


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} series/s" if speed else "– series/s", style="progress.data.speed")


@contextmanager
def _progress(console: Console | None, total: int, done: int) -> Iterator[Callable[[int], None]]:
    """A bar on stderr: series done of all, series/s, ETA (finished chunks of a resume count as done)."""
    console = console or Console(stderr=True)
    columns = (
        TextColumn("[bold]forecasting"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} series"),
        _RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        task = progress.add_task("batch", total=total, completed=done)
        yield lambda n: progress.advance(task, n)
