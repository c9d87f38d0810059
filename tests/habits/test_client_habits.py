"""What Nixtla and Jupyter users expect of the Python client: TypeError for a misspelt keyword,
``h`` as well as ``horizon``, ``fitted=`` refused by name, a figure from ``plot()`` that notebooks
show inline, ``Client.stop``."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure

from tollama.client import AsyncClient, Client
from tollama.client.frames import ForecastResult, prepare_frame
from tollama.core.errors import InvalidRequest
from tollama.core.schemas import ForecastResponse, SeriesForecast

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2025-01-01", periods=6, freq="D"), "y": [1.0, 2, 3, 4, 5, 6]}
    )


def result() -> ForecastResult:
    prepared = prepare_frame(frame(), horizon=2, quantiles=[0.1, 0.9])
    forecast = SeriesForecast(
        id="s",
        freq="D",
        timestamps=["2025-01-07", "2025-01-08"],
        mean=[7.0, 8.0],
        quantiles={"0.1": [6.0, 7.0], "0.9": [8.0, 9.0]},
    )
    return ForecastResult(ForecastResponse(model="mock", forecasts=[forecast]), prepared)


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_a_misspelt_keyword_is_a_type_error_naming_it(client_class: type) -> None:
    client = client_class(base_url="http://127.0.0.1:9")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'horizn'\. Did you mean 'horizon'\?"):
        client._forecast_input(frame(), horizn=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'prediction_intervals'"):
        client._forecast_input({"horizon": 1, "series": []}, prediction_intervals=True)


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_h_is_nixtlas_name_for_horizon_on_forecast_and_evaluate(client_class: type) -> None:
    client = client_class(base_url="http://127.0.0.1:9")
    assert client._forecast_input(frame(), h=3).body["horizon"] == 3
    assert client._forecast_input({"series": [{"id": "s", "target": [1.0]}]}, h=2).body["horizon"] == 2
    assert client._evaluate_input(frame(), models=["mock"], horizon=2).body["horizon"] == 2
    assert client._evaluate_input(frame(), models=["mock"], h=2).body["horizon"] == 2
    with pytest.raises(TypeError, match="got both 'h' and 'horizon'"):
        client._forecast_input(frame(), h=3, horizon=4)
    with pytest.raises(TypeError, match="got both 'h' and 'horizon'"):
        client._evaluate_input(frame(), models=["mock"], h=3, horizon=4)
    with pytest.raises(TypeError, match=r"evaluate\(\) needs the forecast horizon: h="):
        client._evaluate_input(frame(), models=["mock"])


def test_fitted_true_is_refused_by_name_and_false_is_accepted() -> None:
    client = Client(base_url="http://127.0.0.1:9")
    with pytest.raises(InvalidRequest, match=r"fitted=True is not supported.*actuals"):
        client._forecast_input(frame(), horizon=2, fitted=True)
    call = client._forecast_input(frame(), horizon=2, fitted=False)
    assert "fitted" not in call.body


def test_plot_returns_a_figure_that_jupyter_shows_as_png() -> None:
    figure = result().plot()
    assert isinstance(figure, Figure)
    data, _metadata = DisplayFormatter().format(figure)  # what IPython's display hook computes for a cell value
    assert data["image/png"].startswith(PNG_SIGNATURE)
    assert "text/html" in DisplayFormatter().format(result())[0]  # the result itself shows as a table


def test_plot_leaves_pyplot_alone() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    result().plot()
    assert plt.get_fignums() == before  # not registered: a notebook shows it once, through _repr_png_


@pytest.mark.slow
def test_client_stop_unloads_a_loaded_model(daemon) -> None:
    with Client(base_url=daemon.base_url) as client:
        client.pull("mock")
        client.forecast({"model": "mock", "horizon": 1, "series": [{"id": "s", "target": [1.0, 2.0]}]})
        assert [m.name for m in client.ps().models] == ["mock"]
        answer = client.stop("mock")
        assert (answer.model, answer.done_reason, answer.forecasts) == ("mock", "unload", [])
        assert client.ps().models == []
