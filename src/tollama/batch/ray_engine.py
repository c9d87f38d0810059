"""The Ray engine: Ray Data reads the input, an actor pool forecasts whole-series chunks.

Each actor holds an ``EmbeddedDaemon`` — the daemon's own forecast path with a warm runner of
the model's family on the actor's node, its runtime built there by the usual bootstrap when
missing. Rows are given a chunk key (a stable hash of ``unique_id``), grouped by it, and each
group goes through ``batch.chunk.forecast_chunk`` exactly as on the local engine. Actors are
restartable and their tasks retried, so a worker killed mid-job costs a retry, not the job; a
retried chunk rewrites its own file (same name, atomic rename), so nothing is duplicated.

Ray is the optional ``ray`` extra: this module imports it only when called.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from tollama.batch.chunk import BatchSpec, ChunkResult, forecast_chunk
from tollama.batch.folder import JobFolder
from tollama.batch.source import ID, TIME, Source, arrow_frame
from tollama.core.errors import DaemonUnreachable, InvalidRequest, TollamaError

if TYPE_CHECKING:
    from ray.data import Dataset

CHUNK = "_tollama_chunk"
DEFAULT_CHUNK_SERIES = 1000
RAY_EXTRA_HINT = "pip install 'tollama[ray]'"
MAX_PARTITIONS = 200  # of the shuffle that gathers each chunk's rows
_RESTARTABLE = {"max_restarts": -1, "max_task_retries": -1}


def require_ray() -> Any:
    """The ``ray`` module, or an error naming the extra that installs it."""
    try:
        import ray
        import ray.data  # the Data library is what the engine needs
    except ImportError:
        raise InvalidRequest(f"the Ray engine needs the 'ray' extra; install it with {RAY_EXTRA_HINT}") from None
    return ray


class ChunkForecaster:
    """One actor of the pool: an embedded daemon, and the chunks of whole series sent to it."""

    def __init__(self, spec: BatchSpec, output: str | None) -> None:
        from tollama.batch.embedded import EmbeddedDaemon

        self.spec = spec
        self.folder = JobFolder(output, {}) if output else None
        self.daemon = EmbeddedDaemon()
        self.daemon.ensure_model(spec.model)  # a node that lacks the model pulls it, as `tollama run` does

    def __call__(self, group: pa.Table) -> pd.DataFrame:
        index = group.column(CHUNK)[0].as_py()
        # Arrow to pandas as the local engine does it (same dtypes, same requests). Ray's
        # shuffle keeps no input order: series and their steps are put in order here.
        frame = arrow_frame([group.drop_columns([CHUNK])])
        frame = frame.sort_values([ID, TIME], kind="stable").reset_index(drop=True)
        result = forecast_chunk(frame, self.spec, self.daemon.forecast)
        if self.folder is None:
            return _rows(result)
        self.folder.write_chunk(index, result)
        return pd.DataFrame({CHUNK: [index], "series": [result.series], "failed": [len(result.errors)]})

    def __del__(self) -> None:
        daemon = getattr(self, "daemon", None)
        if daemon is not None:
            daemon.close()


def forecast_dataset(
    dataset: Dataset,
    *,
    model: str,
    horizon: int,
    quantiles: list[float] | None = None,
    freq: str | None = None,
    options: dict[str, Any] | None = None,
    workers: int = 1,
    chunk_series: int = DEFAULT_CHUNK_SERIES,
    chunks: int | None = None,
) -> Dataset:
    """Forecast a Ray Dataset in long format; returns a Dataset ``unique_id, ds, mean, q..., model, error``.

    Series the model refuses come back as one row with ``error`` set (the rest of it empty);
    forecast rows have ``error`` null. ``chunks`` (default: the number of series over
    ``chunk_series``) is how many groups the series are hashed into.
    """
    require_ray()
    spec = BatchSpec(model, horizon, tuple(quantiles) if quantiles else None, freq, dict(options or {}))
    return _forecast(dataset, spec, workers, chunks or _chunk_count(dataset, chunk_series), None, set())


def run_ray(
    source: Source,
    spec: BatchSpec,
    folder: JobFolder,
    *,
    chunks: int,
    workers: int,
    on_chunk: Callable[[int], None],
) -> None:
    """The CLI's Ray job: forecast the chunks ``folder`` lacks, each written by its actor."""
    ray = require_ray()
    files = [str(p) for p in source.files]
    dataset = ray.data.read_parquet(files) if source.format == "parquet" else ray.data.read_csv(files)
    result = _forecast(dataset, spec, workers, chunks, str(folder.root.resolve()), folder.done())
    for batch in result.iter_batches(batch_format="pandas", batch_size=None):
        for series in batch["series"]:
            on_chunk(int(series))


def _forecast(
    dataset: Dataset, spec: BatchSpec, workers: int, chunks: int, output: str | None, done: set[int]
) -> Dataset:
    from ray.data import ActorPoolStrategy

    keyed = dataset.map_batches(
        _key_rows, fn_kwargs={"chunks": chunks, "done": sorted(done)}, batch_format="pandas", zero_copy_batch=False
    )
    return keyed.groupby(CHUNK, num_partitions=min(chunks, MAX_PARTITIONS)).map_groups(
        ChunkForecaster,
        fn_constructor_args=(spec, output),
        batch_format="pyarrow",
        compute=ActorPoolStrategy(size=workers),
        num_cpus=1,
        **_RESTARTABLE,
    )


def _key_rows(batch: pd.DataFrame, chunks: int, done: list[int]) -> pd.DataFrame:
    """A chunk number per row (a stable hash of its series id), rows of finished chunks dropped."""
    ids = batch[ID].astype(str)
    batch = batch.assign(**{ID: ids, CHUNK: (pd.util.hash_pandas_object(ids, index=False) % chunks).astype("int64")})
    return batch[~batch[CHUNK].isin(done)] if done else batch


def _chunk_count(dataset: Dataset, chunk_series: int) -> int:
    series = dataset.select_columns([ID]).groupby(ID).count().count()
    return max(1, -(-series // chunk_series))


def _rows(result: ChunkResult) -> pd.DataFrame:
    errors = result.errors.astype({"error": "string"})
    forecasts = result.forecasts.assign(error=pd.Series(pd.NA, index=result.forecasts.index, dtype="string"))
    return pd.concat([forecasts, errors], ignore_index=True) if len(errors) else forecasts


def connect(address: str | None, workers: int) -> Callable[[], None]:
    """Join the cluster at ``address`` or start a local one on 127.0.0.1; returns how to leave it."""
    ray = require_ray()
    if ray.is_initialized():
        return lambda: None
    if address and address not in ("local", "auto"):
        _check_reachable(address)
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
    if not address or address == "local":
        # One CPU per actor plus one for reading and shuffling, which must never wait on the actors.
        options.update(address="local", num_cpus=workers + 1, _node_ip_address="127.0.0.1")
    else:
        options["address"] = address
    try:
        ray.init(**options)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        raise DaemonUnreachable(f"cannot join the Ray cluster at {address} ({exc}); check --address") from None
    ray.data.DataContext.get_current().enable_progress_bars = False
    return ray.shutdown


def _check_reachable(address: str) -> None:
    """A quick TCP check, so a wrong address fails in seconds with its name, not after Ray's retries."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or hostport, int(port) if port.isdigit() else 6379), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise DaemonUnreachable(
            f"cannot reach the Ray cluster at {address} ({exc}); pass the head node's address "
            "(host:6379, or ray://host:10001) or leave --address out for a local cluster"
        ) from None


def unwrap(exc: BaseException) -> TollamaError | None:
    """The TollamaError a Ray task raised, however Ray wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        if isinstance(current, TollamaError) and not hasattr(current, "cause"):
            return current
        if isinstance(cause, TollamaError):
            return cause
        current = cause if isinstance(cause, BaseException) else current.__cause__
    return None
