"""The warm path through a real daemon: a model loads once, then every request reuses it.

Like Ollama, the first request after ``serve`` reports the load it paid for in ``load_duration``
(nanoseconds) beside ``total_duration``; later ones report a load of 0 and the runner never
loads the model again.
"""

from __future__ import annotations

import orjson

REQUEST = {"model": "mock", "horizon": 2, "series": [{"id": "s", "target": [1.0, 2.0]}]}


def test_the_first_request_pays_the_load_and_later_ones_reuse_the_model(daemon, http):
    http.post("/api/pull", json={"model": "mock", "stream": False})
    first = http.post("/api/forecast", json={**REQUEST, "stream": False}).json()
    pid = http.get("/api/ps").json()["models"][0]["pid"]
    later = [http.post("/api/forecast", json={**REQUEST, "stream": False}).json() for _ in range(3)]
    streamed = [orjson.loads(line) for line in http.post("/api/forecast", json=REQUEST).text.splitlines()][-1]
    v1 = http.post("/v1/forecast", json=REQUEST).json()
    assert first["load_duration"] > 0 and first["total_duration"] > 0
    assert first["total_duration"] >= first["load_duration"]
    for answer in [*later, streamed, v1]:
        assert answer["load_duration"] == 0 and answer["total_duration"] > 0
        assert answer["forecasts"] == first["forecasts"]
    assert http.get("/api/ps").json()["models"][0]["pid"] == pid
    log = (daemon.home / "logs" / "runner-mock.log").read_text()
    assert log.count("load model=mock") == 1 and log.count("forecast model=mock") == 6
