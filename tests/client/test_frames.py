"""DataFrame/Series -> request body -> long result frame, without a daemon (pure conversion)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tollama.client.frames import ForecastResult, PreparedFrame, frame_to_request, prepare_frame, response_to_frame
from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastRequest, ForecastResponse


def _long(ids=("a", "b"), periods=5, freq="D", start="2025-01-01") -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {"unique_id": sid, "ds": pd.date_range(start, periods=periods, freq=freq), "y": np.arange(periods) + k}
        )
        for k, sid in enumerate(ids)
    ]
    return pd.concat(parts, ignore_index=True)


def test_long_frame_becomes_one_series_per_id_with_inferred_freq_and_date_timestamps():
    body = frame_to_request(_long(), horizon=3, model="mock", quantiles=[0.9, 0.1])
    assert [s["id"] for s in body["series"]] == ["a", "b"]
    first = body["series"][0]
    assert first["freq"] == "D"
    assert first["timestamps"] == ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"]
    assert first["target"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert body["model"] == "mock" and body["horizon"] == 3 and body["quantiles"] == [0.9, 0.1]
    ForecastRequest.model_validate(body)  # the body satisfies the wire contract as-is


def test_rows_are_sorted_per_series_and_nan_targets_become_null():
    frame = _long(ids=("a",)).iloc[::-1].copy()
    frame.loc[frame["ds"] == "2025-01-03", "y"] = np.nan
    series = frame_to_request(frame, horizon=1)["series"][0]
    assert series["timestamps"][0] == "2025-01-01"
    assert series["target"] == [0.0, 1.0, None, 3.0, 4.0]


def test_sub_daily_timestamps_keep_their_time_and_hourly_freq_is_inferred():
    series = frame_to_request(_long(ids=("a",), freq="h"), horizon=1)["series"][0]
    assert series["freq"] == "h" and series["timestamps"][1] == "2025-01-01T01:00:00"


def test_series_with_datetime_index_is_one_series_named_after_it():
    s = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2025-03-01", periods=3, freq="MS"), name="sales")
    series = frame_to_request(s, horizon=2)["series"]
    assert [x["id"] for x in series] == ["sales"] and series[0]["freq"] == "MS"
    assert frame_to_request(s.rename(None), horizon=2)["series"][0]["id"] == "series"


def test_frame_with_a_datetime_index_and_no_time_column_uses_the_index():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0]}, index=pd.date_range("2025-01-01", periods=3, freq="W-MON"))
    series = frame_to_request(frame, horizon=1)["series"][0]
    assert series["freq"] == "W-MON" and series["timestamps"][0] == "2025-01-06"


def test_series_without_datetime_index_is_refused():
    with pytest.raises(InvalidRequest, match="a Series needs a DatetimeIndex"):
        frame_to_request(pd.Series([1.0, 2.0, 3.0]), horizon=1)


@pytest.mark.parametrize(
    ("times", "reason"),
    [
        (["2025-01-01", "2025-01-02"], "only 2 timestamps"),
        (["2025-01-01", "2025-01-02", "2025-01-07", "2025-01-09"], "irregular timestamps"),
    ],
)
def test_freq_that_cannot_be_inferred_is_a_clear_error_and_explicit_freq_fixes_it(times, reason):
    frame = pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(times), "y": range(len(times))})
    with pytest.raises(InvalidRequest, match=rf"cannot infer the frequency of series 'a' \({reason}\); pass freq"):
        frame_to_request(frame, horizon=1)
    assert frame_to_request(frame, horizon=1, freq="D")["series"][0]["freq"] == "D"


def test_unknown_freq_is_refused_with_the_pandas_hint():
    with pytest.raises(InvalidRequest, match="freq 'fortnightly' is not a pandas frequency"):
        frame_to_request(_long(), horizon=1, freq="fortnightly")


def test_missing_columns_and_unparseable_values_name_the_column_and_the_option():
    with pytest.raises(
        InvalidRequest, match=r"df has no column 'ds' \(columns: unique_id, date, y\); name it with time_col"
    ):
        frame_to_request(_long().rename(columns={"ds": "date"}), horizon=1)
    assert frame_to_request(_long().rename(columns={"ds": "date"}), horizon=1, time_col="date")["series"]
    bad_time = _long().assign(ds="someday")
    with pytest.raises(InvalidRequest, match="time column 'ds' has values that are not timestamps"):
        frame_to_request(bad_time, horizon=1)
    with pytest.raises(InvalidRequest, match="target column 'y' has values that are not numbers"):
        frame_to_request(_long().assign(y="x"), horizon=1)
    with pytest.raises(InvalidRequest, match="horizon is required"):
        frame_to_request(_long())


def test_duplicate_timestamps_hint_at_the_id_column():
    frame = _long().drop(columns="unique_id")  # two series without their id column look like one
    with pytest.raises(InvalidRequest, match=r"series 'series' has several rows at 2025-01-01.*id_col"):
        frame_to_request(frame, horizon=1)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, "inf"])
def test_an_infinite_value_is_refused_naming_the_series_and_row(bad):
    frame = _long(ids=("a", "b")).astype({"y": object})
    frame.loc[7, "y"] = bad  # series 'b', third row
    with pytest.raises(InvalidRequest, match=r"series 'b': target 'y' is -?inf at 2025-01-03.*\(row 3 of the series\)"):
        frame_to_request(frame, horizon=1)
    covariate = _long(ids=("a",)).assign(price=[1.0, 2.0, bad, 4.0, 5.0])
    with pytest.raises(InvalidRequest, match=r"series 'a': covariate 'price' is -?inf \(row 3 of the series\)"):
        frame_to_request(covariate, horizon=1)


def test_other_columns_are_past_covariates_numeric_or_categorical():
    frame = _long(ids=("a",)).assign(price=[1, 2, 3, 4, 5], promo=[True, False, True, False, True], store=list("xxyyx"))
    series = frame_to_request(frame, horizon=1)["series"][0]
    assert series["past_covariates"] == {
        "price": [1.0, 2.0, 3.0, 4.0, 5.0],
        "promo": [1.0, 0.0, 1.0, 0.0, 1.0],
        "store": ["x", "x", "y", "y", "x"],
    }
    assert "future_covariates" not in series
    with pytest.raises(InvalidRequest, match="series 'a': covariate 'price' has missing values"):
        frame_to_request(frame.assign(price=[1, None, 3, 4, 5]), horizon=1)


def test_x_df_gives_known_future_covariates_as_nixtla_does():
    frame = _long().assign(promo=[0, 1, 0, 1, 0] * 2, temp=range(10))
    future = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "ds": pd.to_datetime(["2025-01-06", "2025-01-07"] * 2),
            "promo": [1, 1, 0, 0],
        }
    )
    body = frame_to_request(frame, horizon=2, X_df=future)
    a, b = body["series"]
    assert a["future_covariates"] == {"promo": [1.0, 1.0]} and b["future_covariates"] == {"promo": [0.0, 0.0]}
    assert set(a["past_covariates"]) == {"promo", "temp"}  # temp has no future values: past-only
    ForecastRequest.model_validate(body)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda x: x.iloc[:3], "X_df has 1 rows for series 'b' but horizon is 2"),
        (
            lambda x: x.assign(ds=pd.to_datetime(["2025-01-07", "2025-01-08"] * 2)),
            "X_df timestamps of series 'a' must be",
        ),
        (lambda x: x.assign(rain=1.0), "X_df columns rain are not in df"),
        (lambda x: x.assign(unique_id=["a", "a", "z", "z"]), "X_df has rows for series 'z', which df does not have"),
    ],
)
def test_x_df_mismatches_are_clear_errors(change, message):
    frame = _long().assign(promo=0)
    future = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "ds": pd.to_datetime(["2025-01-06", "2025-01-07"] * 2)})
    future["promo"] = 1
    with pytest.raises(InvalidRequest, match=message):
        frame_to_request(frame, horizon=2, X_df=change(future))


def _answer(body: dict, quantiles=("0.1", "0.9")) -> ForecastResponse:
    forecasts = []
    for series in body["series"]:
        last = series["target"][-1]
        entry = {"id": series["id"], "mean": [last] * body["horizon"]}
        entry["quantiles"] = {q: [last + float(q) - 0.5] * body["horizon"] for q in quantiles}
        if series.get("timestamps"):
            stamps = pd.date_range(series["timestamps"][-1], periods=body["horizon"] + 1, freq=series["freq"])[1:]
            entry["timestamps"] = [str(t.date()) for t in stamps]
        forecasts.append(entry)
    return ForecastResponse(model="m", forecasts=forecasts)


def test_result_frame_is_long_with_quantile_columns_and_keeps_original_id_types():
    frame = _long(ids=(7, 8))
    prepared = prepare_frame(frame, horizon=2, quantiles=[0.1, 0.9])
    result = ForecastResult(_answer(prepared.body), prepared)
    assert list(result.df.columns) == ["unique_id", "ds", "mean", "q0.1", "q0.9"]
    assert result.df["unique_id"].tolist() == [7, 7, 8, 8]
    assert result.df["ds"].tolist() == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-07")] * 2
    assert pd.api.types.is_datetime64_any_dtype(result.df["ds"])
    assert result.df["q0.9"].tolist() == [4.4, 4.4, 5.4, 5.4]
    assert result.request is prepared.body and result.response.model == "m"


def test_custom_column_names_carry_into_the_result():
    frame = _long(ids=("a",)).rename(columns={"unique_id": "item", "ds": "date", "y": "sales"})
    prepared = prepare_frame(frame, horizon=1, id_col="item", time_col="date", target_col="sales")
    result = ForecastResult(_answer(prepared.body, quantiles=()), prepared)
    assert list(result.df.columns) == ["item", "date", "mean"]


def test_integer_time_steps_send_no_timestamps_and_continue_the_steps():
    frame = pd.DataFrame({"unique_id": "a", "ds": [10, 20, 30], "y": [1.0, 2.0, 3.0]})
    prepared = prepare_frame(frame, horizon=2)
    assert "timestamps" not in prepared.body["series"][0] and "freq" not in prepared.body["series"][0]
    result = ForecastResult(_answer(prepared.body, quantiles=()), prepared)
    assert result.df["ds"].tolist() == [40, 50]


def test_time_zones_survive_the_round_trip():
    frame = pd.DataFrame({"ds": pd.date_range("2025-03-29", periods=4, freq="D", tz="Europe/Paris"), "y": 1.0})
    prepared = prepare_frame(frame, horizon=2)
    assert prepared.body["series"][0]["timestamps"][0] == "2025-03-29T00:00:00+01:00"
    response = ForecastResponse(
        model="m",
        forecasts=[
            {
                "id": "series",
                "mean": [1.0, 1.0],
                "timestamps": ["2025-04-02T00:00:00+02:00", "2025-04-03T00:00:00+02:00"],
            }
        ],
    )
    ds = ForecastResult(response, prepared).df["ds"]
    assert str(ds.dt.tz) == "Europe/Paris" and ds.iloc[0] == pd.Timestamp("2025-04-02", tz="Europe/Paris")


def test_history_of_a_json_request_uses_positions_when_it_has_no_timestamps():
    body = {"horizon": 2, "series": [{"id": "s", "target": [1.0, None, 3.0]}]}
    prepared = PreparedFrame.from_body(body)
    assert prepared.history["ds"].tolist() == [0, 1, 2]
    frame = response_to_frame({"model": "m", "forecasts": [{"id": "s", "mean": [3.0, 3.0]}]}, prepared.history)
    assert frame["ds"].tolist() == [3, 4]
