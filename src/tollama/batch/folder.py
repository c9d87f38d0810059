"""The output folder of a batch job: one Parquet file per chunk, ``_errors.parquet``, ``_SUCCESS``.

A chunk's file is written under a hidden temporary name and renamed, so it exists whole or not
at all; its existence is what marks the chunk done, which makes a rerun a resume. ``_job.json``
records what the job is (model, horizon, input, chunking): a folder holding another job's files
is refused unless the caller asks to overwrite them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tollama.batch.chunk import ERROR_COLUMNS, ChunkResult
from tollama.core.errors import InvalidRequest

JOB_FILE = "_job.json"
SUCCESS_FILE = "_SUCCESS"
ERRORS_FILE = "_errors.parquet"
CHUNK_ERRORS_DIR = "_errors"
_PART = re.compile(r"^part-(\d{6})\.parquet$")
_OURS = re.compile(r"^(part-\d{6}\.parquet|_job\.json|_SUCCESS|_errors\.parquet|_errors|\..*\.tmp)$")
_SERIES_KEY, _FAILED_KEY = b"tollama.series", b"tollama.failed"


def part_name(index: int) -> str:
    return f"part-{index:06d}.parquet"


def write_atomic(path: Path, write: Any) -> None:
    """``write(temp_path)``, then rename: readers never see half a file."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


class JobFolder:
    """The output folder of one job (``job``: what identifies it, as plain JSON data)."""

    def __init__(self, root: str | Path, job: dict[str, Any]) -> None:
        self.root = Path(root)
        self.job = job

    def claim(self, overwrite: bool) -> bool:
        """Make the folder this job's; returns whether it already was (a resume)."""
        self.root.mkdir(parents=True, exist_ok=True)
        recorded = self._recorded()
        if recorded == self.job:
            return True
        entries = sorted(p.name for p in self.root.iterdir())
        if entries and not overwrite:
            what = _difference(recorded, self.job) if recorded else f"files such as {', '.join(entries[:3])}"
            raise InvalidRequest(
                f"output folder {self.root} holds another job's files ({what}); "
                "pass --overwrite to replace them, or choose another folder"
            )
        for name in entries:
            if _OURS.match(name):
                path = self.root / name
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        write_atomic(self.root / JOB_FILE, lambda p: p.write_text(json.dumps(self.job, indent=2, sort_keys=True)))
        return False

    def done(self) -> set[int]:
        """Chunks whose file is complete."""
        return {int(m.group(1)) for p in self.root.iterdir() if (m := _PART.match(p.name))}

    def write_chunk(self, index: int, result: ChunkResult) -> None:
        """Errors first, then the forecasts, whose file marks the chunk done."""
        name = part_name(index)
        errors_path = self.root / CHUNK_ERRORS_DIR / name
        if len(result.errors):
            errors_path.parent.mkdir(exist_ok=True)
            table = pa.Table.from_pandas(result.errors, preserve_index=False)
            write_atomic(errors_path, lambda p: pq.write_table(table, p))
        else:
            errors_path.unlink(missing_ok=True)  # left by an earlier try of this chunk
        table = pa.Table.from_pandas(result.forecasts, preserve_index=False)
        counts = {_SERIES_KEY: str(result.series).encode(), _FAILED_KEY: str(len(result.errors)).encode()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **counts})
        write_atomic(self.root / name, lambda p: pq.write_table(table, p))

    def counts(self) -> tuple[int, int]:
        """Series and failed series over every finished chunk (read from the files' metadata)."""
        series = failed = 0
        for index in self.done():
            metadata = pq.read_schema(self.root / part_name(index)).metadata or {}
            series += int(metadata.get(_SERIES_KEY, b"0"))
            failed += int(metadata.get(_FAILED_KEY, b"0"))
        return series, failed

    def finish(self, summary: dict[str, Any]) -> None:
        """``_errors.parquet`` (every failed series, possibly none), then ``_SUCCESS``."""
        chunk_errors = sorted((self.root / CHUNK_ERRORS_DIR).glob("part-*.parquet"))
        frames = [pd.read_parquet(p) for p in chunk_errors]
        errors = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(ERROR_COLUMNS))
        errors = errors.astype({c: "string" for c in ERROR_COLUMNS})
        write_atomic(self.root / ERRORS_FILE, lambda p: errors.to_parquet(p, index=False))
        text = json.dumps(summary, indent=2, sort_keys=True)
        write_atomic(self.root / SUCCESS_FILE, lambda p: p.write_text(text))

    def _recorded(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.root / JOB_FILE).read_text())
        except (OSError, ValueError):
            return None


def _difference(recorded: dict[str, Any], job: dict[str, Any]) -> str:
    keys = sorted(k for k in set(recorded) | set(job) if recorded.get(k) != job.get(k))
    return "; ".join(f"{k}: {recorded.get(k)!r} there, {job.get(k)!r} now" for k in keys[:3])
