"""Reading a batch input: whole series per chunk, in bounded memory, and clear refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pytest
from batch_inputs import long_frame, write_parquet

from tollama.batch.ray_engine import require_ray
from tollama.batch.source import Source
from tollama.core.errors import InvalidRequest


def test_memory_follows_the_chunk_not_the_input(tmp_path: Path) -> None:
    """An input 40 times the chunk: Arrow never holds more than a few chunks' worth at once."""
    chunk_series, length = 500, 100
    frame = long_frame(chunk_series * 40, length)  # 2,000,000 rows
    source_path = write_parquet(frame, tmp_path / "in.parquet", row_group_rows=50_000)
    whole = pa.Table.from_pandas(frame, preserve_index=False).nbytes
    del frame
    source = Source.open(source_path)
    baseline, peak, sizes = pa.total_allocated_bytes(), 0, []
    for chunk in source.chunks(chunk_series):
        peak = max(peak, pa.total_allocated_bytes() - baseline)
        sizes.append(chunk["unique_id"].nunique())
        assert (chunk.groupby("unique_id").size() == length).all()  # never a split series
    assert sizes == [chunk_series] * 40
    assert peak < whole / 8, f"Arrow held {peak:,} bytes reading a {whole:,}-byte input"
    assert source.count(chunk_series) == (chunk_series * 40, 40)


def test_a_folder_of_csv_files_is_one_input(tmp_path: Path) -> None:
    frame = long_frame(7, 10)
    (tmp_path / "data").mkdir()
    frame.iloc[:30].to_csv(tmp_path / "data" / "a.csv", index=False)
    frame.iloc[30:].to_csv(tmp_path / "data" / "b.csv", index=False)  # series s00003 spans both files
    (tmp_path / "data" / "_notes.csv").write_text("not,data\n")
    chunks = list(Source.open(tmp_path / "data").chunks(3))
    assert [sorted(c["unique_id"].unique()) for c in chunks] == [
        ["s00000", "s00001", "s00002"], ["s00003", "s00004", "s00005"], ["s00006"]
    ]  # fmt: skip
    assert len(chunks[1][chunks[1]["unique_id"] == "s00003"]) == 10


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "nothing.parquet", "does not exist"),
        (lambda root: (root / "x.json").write_text("{}") and root / "x.json", "neither .csv nor .parquet"),
    ],
)
def test_unreadable_inputs_are_named(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        Source.open(make(tmp_path))


def test_the_ray_engine_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed: importing it fails
    with pytest.raises(InvalidRequest, match=r"needs the 'ray' extra; install it with pip install 'tollama\[ray\]'"):
        require_ray()
