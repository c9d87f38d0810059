"""``/metrics`` (Prometheus, via ``prometheus_client``) and one structured log line per request.

Each app has its own ``CollectorRegistry``: counters and histograms are updated as requests
end; queue depth, loaded models, restarts and evictions are read from the admission and the
supervisor when Prometheus scrapes, so they are never stale and never double-counted. Every
response carries ``X-Request-Id`` (the client's own when it sent a sane one), and so does the
request's log line, so a user's error report leads straight to the log.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from tollama.daemon.services import Services

access_log = logging.getLogger("tollama.access")
REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_SCOPE_KEY = "tollama.request_id"  # where the error handler finds it
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
LOAD_BUCKETS = (0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)


class DaemonMetrics:
    """The daemon's Prometheus registry and the few instruments updated as things happen."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tollama_requests", "HTTP requests answered", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "tollama_request_duration_seconds",
            "Time from request to the last byte of the response (streams included)",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.load_time = Histogram(
            "tollama_model_load_seconds",
            "Time to load a model in its runner",
            ["family"],
            buckets=LOAD_BUCKETS,
            registry=self.registry,
        )
        self._state: Collector | None = None

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def observe_load(self, family: str, seconds: float) -> None:
        self.load_time.labels(family).observe(seconds)

    def watch(self, services: Services) -> None:
        """Expose the live state of ``services`` (queues, models, runners) on each scrape."""
        self.unwatch()
        self._state = _StateCollector(services)
        self.registry.register(self._state)

    def unwatch(self) -> None:
        if self._state is not None:
            self.registry.unregister(self._state)
            self._state = None

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _StateCollector(Collector):
    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        queues = self.services.forecasts.admission.stats()
        supervisor = self.services.supervisor
        waiting = GaugeMetricFamily("tollama_queue_waiting", "Requests waiting for a slot, per model", labels=["model"])
        running = GaugeMetricFamily("tollama_queue_in_flight", "Requests being computed, per model", labels=["model"])
        rejected = CounterMetricFamily("tollama_queue_rejected", "Requests turned away: queue full", labels=["model"])
        dropped = CounterMetricFamily(
            "tollama_queue_dropped", "Queued requests dropped because the client left", labels=["model"]
        )
        for model, stats in sorted(queues.items()):
            waiting.add_metric([model], stats.waiting)
            running.add_metric([model], stats.in_flight)
            rejected.add_metric([model], stats.rejected)
            dropped.add_metric([model], stats.dropped)
        yield from (waiting, running, rejected, dropped)
        loaded = supervisor.loaded_models()
        yield GaugeMetricFamily("tollama_loaded_models", "Models loaded in runners", value=len(loaded))
        yield CounterMetricFamily(
            "tollama_model_evictions", "Idle models unloaded to stay under the cap", value=supervisor.evictions
        )
        restarts = CounterMetricFamily("tollama_runner_restarts", "Runners replaced after dying", labels=["family"])
        families = {status["family"] for status in supervisor.runner_statuses()} | set(supervisor.restarts)
        for family in sorted(families):
            restarts.add_metric([family], supervisor.restarts.get(family, 0))
        yield restarts
        failures = CounterMetricFamily(
            "tollama_runner_start_failures", "Runner start-ups that failed", labels=["family"]
        )
        for family, count in sorted(supervisor.backoff.total_failures.items()):
            failures.add_metric([family], count)
        yield failures


Scope = dict[str, Any]


def route_template(scope: Scope, known_paths: frozenset[str]) -> str:
    """The route's path template, never an arbitrary raw path, so metric labels stay few.

    Routing records the route in the scope; a request refused before routing (401, 403, 413)
    is labelled by its path when that is one of ours (no route has path parameters).
    """
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    return scope["path"] if scope["path"] in known_paths else "unmatched"


class ObservabilityMiddleware:
    """Outermost layer: request id, timing, the access log line and the request metrics."""

    def __init__(self, app: Any, metrics: DaemonMetrics, known_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.metrics = metrics
        self.known_paths = known_paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope, self.known_paths)
            self.metrics.observe_request(route, scope["method"], status, seconds)
            access_log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "client": (scope.get("client") or ("-",))[0],
                    }
                )
            )
