"""CSV text from the web page -> a forecast request, through the CLI's own reader.

The page posts the file's text; this reads it exactly as ``tollama run --csv`` does
(``prepare_frame``), after a cell-level check so that a bad value is named by its line and
column, as people see them in an editor.
"""

from __future__ import annotations

import io
import math
import warnings
from typing import Any

from tollama.client.frames import ID, TARGET, TIME, prepare_frame
from tollama.core.errors import InvalidRequest

UI_SERIES_NAME = "series"


def csv_to_request(text: str, *, horizon: int, freq: str | None = None, name: str = UI_SERIES_NAME) -> dict[str, Any]:
    """``{"request": body, "history": [{"id", "timestamps", "target"}]}`` for a long or single-series CSV."""
    import pandas as pd

    if not text.strip():
        raise InvalidRequest("the CSV is empty: paste rows with a header such as unique_id,ds,y")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InvalidRequest(f"the CSV is not readable ({str(exc).splitlines()[0]})") from None
    for column in (TIME, TARGET):
        if column not in frame.columns:
            found = ", ".join(map(str, frame.columns))
            raise InvalidRequest(
                f"the CSV has no column '{column}' (columns: {found}); the header must read unique_id,ds,y "
                "or ds,y for a single series"
            )
    _check_cells(frame)
    frame = frame.replace("", None)
    frame[TARGET] = pd.to_numeric(frame[TARGET])
    if frame[TIME].str.lstrip("-").str.isdigit().all():  # steps without a calendar, as the CLI reads them
        frame[TIME] = frame[TIME].astype(int)
    if ID not in frame.columns:
        frame.insert(0, ID, name)
    for column in frame.columns:
        if column not in (ID, TIME, TARGET):
            numbers = pd.to_numeric(frame[column], errors="coerce")
            if not numbers.isna().any():
                frame[column] = numbers
    prepared = prepare_frame(frame, horizon=horizon, freq=freq or None)
    history = [
        {"id": series["id"], "timestamps": series.get("timestamps"), "target": series["target"]}
        for series in prepared.body["series"]
    ]
    return {"request": prepared.body, "history": history}


def _check_cells(frame: Any) -> None:
    """The first cell that cannot be read, by line (the header is line 1) and column name."""
    import pandas as pd

    for row, value in frame[TARGET].items():
        if value == "":
            continue
        try:
            if not math.isfinite(float(value)) and value.strip().lower() != "nan":
                raise ValueError(value)
        except ValueError:
            raise InvalidRequest(f"line {int(row) + 2}, column '{TARGET}': {value!r} is not a number") from None
    for row, value in frame[TIME].items():
        if value == "":
            raise InvalidRequest(f"line {int(row) + 2}, column '{TIME}': the timestamp is missing")
        if value.lstrip("-").isdigit():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(value, errors="coerce")
        if parsed is pd.NaT or pd.isna(parsed):
            raise InvalidRequest(f"line {int(row) + 2}, column '{TIME}': {value!r} is not a timestamp")
