"""``Client`` against a real daemon on the mock model: every verb, DataFrames in and out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tollama import Client, ForecastResult, InvalidRequest
from tollama.core.schemas import ForecastResponse


def _sales() -> pd.DataFrame:
    days = pd.date_range("2025-01-01", periods=6, freq="D")
    return pd.DataFrame(
        {
            "unique_id": ["north"] * 6 + ["south"] * 6,
            "ds": list(days) * 2,
            "y": np.r_[np.arange(6.0), np.arange(6.0) * 10],
            "promo": [0, 1] * 6,
        }
    )


def test_lifecycle_verbs_mirror_the_routes(client: Client):
    assert client.version() == "0.1.0"
    assert [m.name for m in client.list().models] == ["mock"]
    assert client.show("mock").family == "mock"
    assert set(client.info()) >= {"daemon", "paths", "models", "runners"}
    events = list(client.pull("mock", stream=True))
    assert [e["status"] for e in events] == ["pulling manifest", "verifying", "writing manifest", "success"]
    assert client.pull("mock") == {"status": "success", "done": True}


def test_dataframe_in_dataframe_out(client: Client):
    result = client.forecast(_sales(), model="mock", horizon=3, quantiles=[0.1, 0.5, 0.9])
    assert isinstance(result, ForecastResult) and isinstance(result.response, ForecastResponse)
    df = result.df
    assert list(df.columns) == ["unique_id", "ds", "mean", "q0.1", "q0.5", "q0.9"]
    assert df["unique_id"].tolist() == ["north"] * 3 + ["south"] * 3
    assert df["ds"].tolist() == list(pd.date_range("2025-01-07", periods=3, freq="D")) * 2
    assert df["mean"].tolist() == [5.0] * 3 + [50.0] * 3  # the mock repeats the last value
    assert result.response.forecasts[0].freq == "D"  # inferred on the client, echoed by the daemon
    assert "promo" in " ".join(result.warnings)  # a past-only covariate the mock cannot take


def test_series_in_long_frame_out(client: Client):
    series = pd.Series([3.0, 4.0, 5.0, 6.0], index=pd.date_range("2025-01-01", periods=4, freq="h"), name="load")
    df = client.forecast(series, model="mock", horizon=2).df
    assert df.to_dict("list") == {
        "unique_id": ["load", "load"],
        "ds": [pd.Timestamp("2025-01-01 04:00"), pd.Timestamp("2025-01-01 05:00")],
        "mean": [6.0, 6.0],
    }


def test_x_df_reaches_the_daemon_as_known_future_covariates(client: Client):
    future = pd.DataFrame(
        {"unique_id": ["north"] * 2 + ["south"] * 2, "ds": list(pd.date_range("2025-01-07", periods=2)) * 2}
    )
    future["promo"] = [1, 0, 1, 0]
    result = client.forecast(_sales(), model="mock", horizon=2, X_df=future)
    assert result.request["series"][0]["future_covariates"] == {"promo": [1.0, 0.0]}
    assert result.warnings == [
        "covariate 'promo' (known-future numeric) is not supported by model 'mock' and was ignored"
    ]
    with pytest.raises(InvalidRequest, match=r"does not support covariates 'promo' \(known-future numeric\)"):
        client.forecast(_sales(), model="mock", horizon=2, X_df=future, parameters={"covariates_mode": "strict"})


def test_freq_inference_failure_is_raised_before_anything_is_sent(client: Client):
    irregular = pd.DataFrame({"ds": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-09"]), "y": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidRequest, match="cannot infer the frequency of series 'series'"):
        client.forecast(irregular, model="mock", horizon=1)
    # With freq the six missing days are gaps, forecast from the real last day (issue 15, point 1).
    assert client.forecast(irregular, model="mock", horizon=1, freq="D").df["ds"].tolist() == [
        pd.Timestamp("2025-01-10")
    ]
    with pytest.raises(InvalidRequest, match=r"timestamps\[1\] '2025-01-02' is not a whole number of '7D' steps"):
        client.forecast(irregular, model="mock", horizon=1, freq="7D")


def test_request_and_dict_inputs_still_answer_a_forecast_response(client: Client):
    body = {"horizon": 1, "series": [{"id": "s", "target": [1.0, 2.0]}]}
    response = client.forecast(body, model="mock", quantiles=[0.5])
    assert isinstance(response, ForecastResponse) and response.forecasts[0].quantiles == {"0.5": [2.0]}
    with pytest.raises(InvalidRequest, match="X_df only apply to DataFrame or Series input"):
        client.forecast(body, model="mock", X_df=_sales())


def test_forecast_stream_takes_a_dataframe_and_ends_with_the_response(client: Client):
    events = list(client.forecast_stream(_sales(), model="mock", horizon=1))
    assert events[0]["status"].startswith("loading model") and events[-1]["done"] is True
    assert [f["id"] for f in events[-1]["forecasts"]] == ["north", "south"]


def test_delete_then_show_is_model_not_found(client: Client):
    from tollama import ModelNotFound

    client.pull("mock")
    assert client.delete("mock") == {}
    with pytest.raises(ModelNotFound):
        client.show("mock")
    client.pull("mock")  # leave the module's daemon as it was
