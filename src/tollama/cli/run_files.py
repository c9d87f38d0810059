"""What ``tollama run`` reads and writes besides stdout: request JSON, CSV input, --output, --plot.

pandas and matplotlib load here only when a command asks for CSV, an output file or a plot.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tollama.cli.output import err_console
from tollama.client._base import forecast_body
from tollama.core.errors import InvalidRequest

if TYPE_CHECKING:
    import pandas as pd

    from tollama.client.frames import ForecastResult, PreparedFrame

OUTPUT_FORMATS = (".csv", ".json")


def read_request(input_file: str | None) -> dict[str, Any]:
    """A request body from a JSON file or stdin; the Chronos-2 SageMaker dialect is converted."""
    if input_file in (None, "-"):
        if input_file is None and sys.stdin.isatty():
            raise InvalidRequest("no request given: pass --input FILE, --csv FILE or pipe JSON on stdin")
        text, where = sys.stdin.read(), "stdin"
    else:
        path = Path(input_file)
        if not path.is_file():
            raise InvalidRequest(f"input file {input_file} does not exist")
        text, where = path.read_text(encoding="utf-8"), str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"{where} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise InvalidRequest(f"{where} must hold a JSON object (a forecast request)")
    return forecast_body(data)


def read_csv(
    csv_file: str,
    *,
    horizon: int | None,
    freq: str | None,
    id_col: str,
    time_col: str,
    target_col: str,
    future_file: str | None = None,
) -> PreparedFrame:
    """A long (id, time, target, covariates...) or single-series (time, target, ...) CSV as a request.

    A single-series file is named after its stem (``sales.csv`` -> ``sales``). ``future_file``
    is Nixtla's ``X_df``: the horizon's rows (id, time, known-future covariates); its columns
    become future covariates, and its rows per series give the horizon when ``--horizon`` is unset.
    """
    from tollama.client.frames import prepare_frame

    frame = _read_table(csv_file, "--csv")
    _require_columns(frame, csv_file, {time_col: "--time-col", target_col: "--target-col"})
    stem = Path(csv_file).stem
    if id_col not in frame.columns:
        frame.insert(0, id_col, stem)
    future = None
    if future_file is not None:
        future = _read_table(future_file, "--future")
        _require_columns(future, future_file, {time_col: "--time-col"})
        if id_col not in future.columns:
            future.insert(0, id_col, stem)
        if horizon is None:
            horizon = _future_horizon(future, id_col, future_file)
    if horizon is None:
        raise InvalidRequest("--csv needs --horizon N (how many steps to forecast) or --future FILE")
    return prepare_frame(
        frame, horizon=horizon, freq=freq, X_df=future, id_col=id_col, time_col=time_col, target_col=target_col
    )


def _require_columns(frame: pd.DataFrame, csv_file: str, needed: dict[str, str]) -> None:
    """Name a missing column with the file's own columns (before an id column is added to them)."""
    for column, option in needed.items():
        if column not in frame.columns:
            have = ", ".join(map(str, frame.columns))
            raise InvalidRequest(f"{csv_file} has no column '{column}' (columns: {have}); name it with {option}")


def _read_table(csv_file: str, option: str) -> pd.DataFrame:
    import pandas as pd

    path = Path(csv_file)
    if not path.is_file():
        raise InvalidRequest(f"{option} file {csv_file} does not exist")
    try:
        return pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InvalidRequest(f"{csv_file} is not a readable CSV ({str(exc).splitlines()[0]})") from None


def _future_horizon(future: pd.DataFrame, id_col: str, future_file: str) -> int:
    """The horizon a --future file implies: its rows per series, the same for every series."""
    counts = set(future.groupby(id_col, sort=False).size().tolist())
    if len(counts) != 1:
        raise InvalidRequest(f"--future {future_file} has a different number of rows per series; pass --horizon N")
    return counts.pop()


def forecast_result(
    request: dict[str, Any], response: dict[str, Any], prepared: PreparedFrame | None
) -> ForecastResult:
    """The response with the history it forecast (from the CSV, or from the request's series)."""
    from tollama.client.frames import ForecastResult, PreparedFrame
    from tollama.core.schemas import ForecastResponse

    return ForecastResult(ForecastResponse.model_validate(response), prepared or PreparedFrame.from_body(request))


def check_output_path(output: str | None) -> None:
    """Fail before forecasting when the output format is unknown."""
    if output is not None and Path(output).suffix.lower() not in OUTPUT_FORMATS:
        raise InvalidRequest(f"--output {output}: use a .csv (long forecast table) or .json (raw response) file")


def write_output(result: ForecastResult, output: str) -> None:
    """``.csv``: the long forecast table; ``.json``: the raw response."""
    path = Path(output)
    try:
        if path.suffix.lower() == ".csv":
            result.df.to_csv(path, index=False)
        else:
            path.write_text(result.response.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InvalidRequest(f"cannot write --output {output} ({exc.strerror or exc})") from None
    err_console.print(f"wrote {path}", markup=False)


def write_plot(result: ForecastResult, plot: str, max_plots: int) -> None:
    """An image of the first ``max_plots`` series; the format follows the extension (png, svg, pdf)."""
    try:
        result.plot(plot, max_series=max_plots)
    except OSError as exc:
        raise InvalidRequest(f"cannot write --plot {plot} ({exc.strerror or exc})") from None
    except ValueError as exc:  # matplotlib: unknown image format
        raise InvalidRequest(f"--plot {plot}: {exc}") from None
    err_console.print(f"wrote {plot}", markup=False)
