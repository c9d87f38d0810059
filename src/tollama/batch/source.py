"""The input of a batch job: a long table (``unique_id, ds, y`` + covariates) in CSV or Parquet files.

Read through an Arrow dataset in record batches, so memory follows the chunk size, never the
input size. Chunks hold whole series: the input must keep each series' rows together (sorted or
grouped by ``unique_id``, as every long-format writer does); a series met again after another one
started is refused with the fix, since it could otherwise be forecast twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from tollama.core.errors import InvalidRequest

ID, TIME, TARGET = "unique_id", "ds", "y"
REQUIRED = (ID, TIME, TARGET)
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
READ_ROWS = 65_536  # rows per Parquet record batch: the unit the reader holds besides the chunk
CSV_BLOCK_BYTES = 4 << 20


@dataclass(frozen=True)
class Source:
    """The files of one input and their format."""

    files: tuple[Path, ...]
    format: str

    @classmethod
    def open(cls, path: str | Path) -> Source:
        """A file, or a folder of files of one format (hidden and ``_``-prefixed files skipped)."""
        root = Path(path)
        if root.is_dir():
            files = sorted(
                p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS and not _hidden(p, root)
            )
            if not files:
                raise InvalidRequest(f"input folder {root} holds no .csv or .parquet files")
        elif root.is_file():
            if root.suffix.lower() not in FORMATS:
                raise InvalidRequest(f"input {root} is neither .csv nor .parquet; convert it or rename it")
            files = [root]
        else:
            raise InvalidRequest(f"input {root} does not exist")
        formats = {FORMATS[p.suffix.lower()] for p in files}
        if len(formats) > 1:
            raise InvalidRequest(f"input folder {root} mixes CSV and Parquet files; keep one format per job")
        source = cls(tuple(p.resolve() for p in files), formats.pop())
        source.check_columns()
        return source

    def dataset(self) -> pads.Dataset:
        return pads.dataset([str(p) for p in self.files], format=self.format)

    def check_columns(self) -> None:
        """Missing required columns, named (before any work starts)."""
        try:
            names = self.dataset().schema.names
        except (pa.ArrowInvalid, OSError) as exc:
            raise InvalidRequest(f"cannot read {self.files[0]} as {self.format} ({exc})") from None
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise InvalidRequest(
                f"input has no column {', '.join(repr(c) for c in missing)} (columns: {', '.join(names)}); "
                f"a batch input is a long table {', '.join(REQUIRED)} (+ covariate columns)"
            )

    def fingerprint(self) -> str:
        """Names, sizes and modification times: a rerun on changed input is not a resume."""
        digest = hashlib.sha256()
        for p in self.files:
            stat = p.stat()
            digest.update(f"{p}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]

    def count(self, chunk_series: int) -> tuple[int, int]:
        """Series and chunks in the input, reading only the id column (and checking the grouping)."""
        series = chunks = 0
        for tables, size in self._chunk_tables(chunk_series, [ID]):
            series, chunks = series + size, chunks + 1
            del tables
        return series, chunks

    def chunks(self, chunk_series: int) -> Iterator[pd.DataFrame]:
        """Frames of ``chunk_series`` whole series each (the last may hold fewer), in input order."""
        for tables, _ in self._chunk_tables(chunk_series, None):
            yield arrow_frame(tables)

    def _batches(self, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
        """Record batches file after file, read on this thread with nothing read ahead.

        (An Arrow dataset scan reads ahead of a slow consumer until it holds most of the file.)
        """
        for path in self.files:
            if self.format == "parquet":
                parquet = pq.ParquetFile(path, pre_buffer=False)
                yield from parquet.iter_batches(batch_size=READ_ROWS, columns=columns, use_threads=False)
                continue
            convert = pacsv.ConvertOptions(
                include_columns=columns, column_types={ID: pa.string(), TARGET: pa.float64()}
            )
            read = pacsv.ReadOptions(use_threads=False, block_size=CSV_BLOCK_BYTES)
            with pacsv.open_csv(path, read_options=read, convert_options=convert) as reader:
                yield from reader

    def _chunk_tables(self, chunk_series: int, columns: list[str] | None) -> Iterator[tuple[list[pa.Table], int]]:
        """Arrow slices making up each chunk, and its number of series."""
        seen: set[str] = set()  # ids of finished series (about 100 bytes each), never their rows
        pending: list[pa.Table] = []
        count, current = 0, None
        for batch in self._batches(columns):
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            ids = table.column(ID).cast(pa.string()).to_numpy(zero_copy_only=False)
            previous = np.concatenate([np.array([current], dtype=object), ids[:-1]])
            cut = 0
            for pos in np.flatnonzero(ids != previous):
                sid = ids[pos]
                if sid in seen:
                    raise InvalidRequest(
                        f"series '{sid}' appears in two places of the input; keep each series' rows together "
                        f"(sort the input by {ID}, {TIME})"
                    )
                if current is not None:
                    seen.add(current)
                current, count = sid, count + 1
                if count > chunk_series:  # this row starts the next chunk
                    pending.append(table.slice(cut, pos - cut))
                    yield pending, chunk_series
                    pending, count, cut = [], 1, pos
            pending.append(table.slice(cut))
        if count:
            yield pending, count


def arrow_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """One pandas frame (numpy dtypes, string ids): what both engines hand to the forecast."""
    frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    frame[ID] = frame[ID].astype(str)
    return frame


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)
