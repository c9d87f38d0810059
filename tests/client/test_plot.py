"""``ForecastResult.plot``: a real PNG of the expected pixel size, headless, first N series."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tollama import Client, InvalidRequest


def _frame(n_series: int) -> pd.DataFrame:
    days = pd.date_range("2025-01-01", periods=30, freq="D")
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i}" for i in range(n_series)], len(days)),
            "ds": np.tile(days, n_series),
            "y": np.sin(np.arange(30 * n_series) / 4),
        }
    )


def test_png_has_one_panel_per_series_up_to_max_series(client: Client, tmp_path: Path):
    result = client.forecast(_frame(3), model="mock", horizon=7, quantiles=[0.1, 0.5, 0.9])
    two = tmp_path / "two.png"
    figure = result.plot(two, max_series=2)
    with Image.open(two) as image:
        assert image.format == "PNG" and image.size == (1000, 600)  # 10 x (3 x 2) inches at 100 dpi
        assert len(np.unique(np.asarray(image.convert("L")))) > 2  # something was drawn
    assert [ax.get_title(loc="left") for ax in figure.axes] == ["s0 (mock)", "s1 (mock)"]
    assert figure.get_suptitle() == "first 2 of 3 series"
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert labels == ["history", "q0.1-q0.9", "median"]
    one = tmp_path / "one.png"
    result.plot(one, max_series=5, dpi=50)
    with Image.open(one) as image:
        assert image.size == (500, 450)  # all 3 series at 50 dpi


def test_history_is_cut_to_max_history_points(client: Client):
    result = client.forecast(_frame(1), model="mock", horizon=2)
    history_line = result.plot(max_history=10).axes[0].get_lines()[0]
    assert len(history_line.get_xdata()) == 10


def test_max_series_below_one_is_refused(client: Client):
    result = client.forecast(_frame(1), model="mock", horizon=1)
    with pytest.raises(InvalidRequest, match="max_series must be at least 1"):
        result.plot(max_series=0)


def test_plotting_leaves_pyplot_and_its_backend_alone():
    code = (
        "import sys, pandas as pd\n"
        "from tollama.client.frames import ForecastResult, prepare_frame\n"
        "from tollama.core.schemas import ForecastResponse\n"
        "p = prepare_frame(pd.Series([1.0, 2.0, 3.0], index=pd.date_range('2025-01-01', periods=3)), horizon=1)\n"
        "r = ForecastResult(ForecastResponse(model='m', forecasts=[{'id': 'series', 'mean': [3.0]}]), p)\n"
        "r.plot()\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "False"
