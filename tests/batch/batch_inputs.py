"""Long-format inputs for batch jobs, written as a user would (pandas to Parquet or CSV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def long_frame(series: int, length: int = 30, start: str = "2024-01-01", seed: int = 0) -> pd.DataFrame:
    """``series`` daily series of ``length`` points, ids ``s00000``... in order."""
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"s{i:05d}" for i in range(series)], length)
    times = np.tile(pd.date_range(start, periods=length, freq="D").to_numpy(), series)
    values = rng.normal(100, 10, series * length).round(3)
    return pd.DataFrame({"unique_id": ids, "ds": times, "y": values})


def write_parquet(frame: pd.DataFrame, path: Path, row_group_rows: int = 10_000) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=row_group_rows)
    return path


def read_output(folder: Path) -> pd.DataFrame:
    """Every chunk file of a job's output, one frame (in id and time order)."""
    parts = sorted(folder.glob("part-*.parquet"))
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
