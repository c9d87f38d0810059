"""``tollama run``'s progress on stderr: a bar with count and ETA once the runner reports progress."""

from __future__ import annotations

import io

from rich.console import Console

from tollama.cli.forecast_progress import ForecastProgress


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120), out


def test_progress_events_draw_a_bar_with_count_and_eta():
    console, out = _terminal()
    with ForecastProgress(console) as progress:
        progress.update({"status": "loading model stats-ensemble", "done": False})
        for done in (100, 400, 700):
            progress.update({"status": "forecasting", "completed": done, "total": 1428, "done": False})
    drawn = out.getvalue()
    assert "700/1428" in drawn and "ETA" in drawn and "forecasting" in drawn


def test_nothing_is_drawn_off_a_terminal():
    out = io.StringIO()
    with ForecastProgress(Console(file=out, force_terminal=False)) as progress:
        progress.update({"status": "forecasting", "completed": 1, "total": 2, "done": False})
    assert out.getvalue() == ""
