"""A request's own JSON goes to the runner as sent when nothing was changed: any layout works."""

from __future__ import annotations

import json

JSON = {"Content-Type": "application/json"}
REQUEST = {"model": "mock", "horizon": 2, "quantiles": [0.9, 0.1], "series": [{"id": "s", "target": [1, 2.5]}]}


def test_pretty_printed_and_crlf_bodies_reach_the_runner_intact(http):
    http.post("/api/pull", json={"model": "mock", "stream": False})
    compact = http.post("/v1/forecast", content=json.dumps(REQUEST).encode(), headers=JSON).json()
    pretty = http.post(
        "/v1/forecast", content=json.dumps(REQUEST, indent=2).replace("\n", "\r\n").encode(), headers=JSON
    )
    named = http.post(
        "/api/forecast", content=json.dumps({**REQUEST, "stream": False}, indent=4).encode(), headers=JSON
    )
    assert pretty.status_code == 200 and named.status_code == 200, pretty.text + named.text
    for answer in (pretty.json(), named.json()):
        assert answer["forecasts"] == compact["forecasts"]
    assert compact["forecasts"][0]["mean"] == [2.5, 2.5]
    assert list(compact["forecasts"][0]["quantiles"]) == ["0.1", "0.9"]
