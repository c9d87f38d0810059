"""Dynamic batching: concurrent compatible requests for one model become one ``forecast`` call.

Requests are compatible when they share the model, horizon, quantiles, parameters, options and
covariate names (``batch_key``); only their series differ. Per group of compatible requests one
call runs at a time: requests that arrive while it runs (or, with a window, shortly after an
idle group's first one) wait and then go together, up to ``max_series`` series per call. The
thread that ran a call runs the group's next one, so no thread sits waiting for work.

Series ids may collide across requests, so inside a merged call each series is renamed
``~k~i~`` (request k, series i); answers and warnings naming those ids are mapped back, and a
warning that names none concerns every request. When a merged call fails with ``InvalidRequest``
(one request's series at fault) or an unexpected error, each request is run alone, so each
gets its own answer or error; other ``TollamaError``s (model not loaded) concern them all.
A request the adapter's ``can_merge`` refuses runs alone, at once.

Each call runs with a ``runners.progress.Work``: a request's own, or for a merged call one that
reports to every request in it and counts as cancelled once all of them are. A request
cancelled while it waited in its group is answered with that error and never runs.

After a merged call, the group waits a little (``REGATHER_SHARE`` of that call's time) for as
many series as it just served: closed-loop clients answered by the call send their next
requests a moment later, and without the wait the one request that came in during the call
would run alone, with everyone else queued behind it (calls of 1, 15, 1, 15 series for 16
clients on chronos-bolt-small, docs/benchmarks.md). A lone call pays no wait.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson

from tollama.core.config import BatchSettings
from tollama.core.errors import InvalidRequest, TollamaError
from tollama.core.schemas import ForecastRequest, RunnerForecast, RunnerSeriesForecast
from tollama.runners.adapter import FamilyAdapter
from tollama.runners.progress import SharedWork, Work, working

logger = logging.getLogger("tollama.runner")
_TOKEN = re.compile(r"~(\d+)~(\d+)~")
REGATHER_SHARE = 0.1  # of a merged call's wall time, waited after it for the next batch to fill


@dataclass
class Pending:
    """A validated request waiting for its group's next call."""

    request_id: str
    request: ForecastRequest


@dataclass
class Replies:
    """What the loop does with outcomes: frames to the daemon."""

    started: Callable[[list[str]], None]
    result: Callable[[str, RunnerForecast], None]
    error: Callable[[str, BaseException], None]
    work: Callable[[str], Work] = lambda _request_id: Work()


@dataclass
class _Group:
    model: str
    queue: deque[Pending] = field(default_factory=deque)
    running: bool = False


def batch_key(request: ForecastRequest) -> bytes:
    """Equal for requests that can share one call: everything but the series, plus covariate names."""
    shared = request.model_dump(mode="json", exclude={"series", "model"})
    shared["covariates"] = [
        sorted({name for s in request.series for name in getattr(s, kind)})
        for kind in ("past_covariates", "future_covariates", "static_covariates")
    ]
    return orjson.dumps(shared, option=orjson.OPT_SORT_KEYS)


def merge(requests: list[ForecastRequest]) -> tuple[ForecastRequest, dict[str, tuple[int, str]]]:
    """One request holding every series, renamed ``~k~i~``; and each new id's (request, old id)."""
    series = []
    origin: dict[str, tuple[int, str]] = {}
    for k, request in enumerate(requests):
        for i, item in enumerate(request.series):
            internal = f"~{k}~{i}~"
            origin[internal] = (k, item.id)
            series.append(item.model_copy(update={"id": internal}))
    return requests[0].model_copy(update={"series": series}), origin


def by_request(ids: list[str]) -> list[list[str]]:
    """Series ids of one ``forecast`` call grouped by the request they came from, first seen first.

    For an adapter whose warnings name series: one warning per group keeps each request's
    warning whole (its own count, its own "and N more") after ``split``. Ids of an unmerged
    call form one group.
    """
    groups: dict[str, list[str]] = {}
    for series_id in ids:
        token = _TOKEN.fullmatch(series_id)
        groups.setdefault(token.group(1) if token else "", []).append(series_id)
    return list(groups.values())


def split(result: RunnerForecast, count: int, origin: dict[str, tuple[int, str]]) -> list[RunnerForecast]:
    """Each request's own series (ids restored) and the warnings that concern it."""
    forecasts: list[list[RunnerSeriesForecast]] = [[] for _ in range(count)]
    for item in result.forecasts:
        where = origin.get(item.id)
        if where is not None:  # an id we never sent is dropped: the daemon reports what is missing
            forecasts[where[0]].append(item.model_copy(update={"id": where[1]}))
    warnings: list[list[str]] = [[] for _ in range(count)]
    for text in result.warnings:
        owners = {origin[m.group(0)][0] for m in _TOKEN.finditer(text) if m.group(0) in origin}
        restored = _TOKEN.sub(lambda m: origin[m.group(0)][1] if m.group(0) in origin else m.group(0), text)
        for k in owners or range(count):
            warnings[k].append(restored)
    return [RunnerForecast(forecasts=f, warnings=w) for f, w in zip(forecasts, warnings, strict=True)]


class Batcher:
    """Groups requests by (model, ``batch_key``) and runs each group's calls one at a time."""

    def __init__(self, adapter: FamilyAdapter, replies: Replies, settings: BatchSettings) -> None:
        self.adapter = adapter
        self.replies = replies
        self.window = settings.window_seconds
        own_cap = adapter.max_batch_series
        self.max_series = min(settings.max_series, own_cap) if own_cap else settings.max_series
        self._cond = threading.Condition()
        self._groups: dict[tuple[str, bytes], _Group] = {}

    def submit(self, request_id: str, model: str, request: ForecastRequest) -> None:
        """Queue the request; when its group is idle, run the group on this thread until it drains."""
        if not self.adapter.can_merge(model, request):
            self.run(model, [Pending(request_id, request)])
            return
        try:
            key = (model, batch_key(request))
        except (TypeError, ValueError) as exc:  # orjson: "Recursion limit reached" and the like
            message = f"the request's options or parameters cannot be encoded ({exc}); nest them less"
            raise InvalidRequest(message) from exc
        with self._cond:
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group(model)
            group.queue.append(Pending(request_id, request))
            if group.running:
                self._cond.notify_all()  # a window may be waiting for a full batch
                return
            group.running = True
        self._drain(key, group)

    def _drain(self, key: tuple[str, bytes], group: _Group) -> None:
        if self.window > 0:
            with self._cond:
                self._cond.wait_for(lambda: _series_count(group.queue) >= self.max_series, timeout=self.window)
        served = 0  # series of the group's last call when it merged requests, else 0
        seconds = 0.0
        while True:
            with self._cond:
                if served:
                    filled = _filled(group.queue, min(served, self.max_series))
                    self._cond.wait_for(filled, self.regather_seconds(seconds))
                batch = self._take(group)
                if not batch:
                    group.running = False
                    del self._groups[key]
                    return
            started = time.perf_counter()
            try:
                self.run(group.model, batch)
            except Exception as exc:  # a bug here must not wedge the group: its requests get an error
                logger.exception("batch for %s failed", group.model)
                for pending in batch:
                    self.replies.error(pending.request_id, exc)
            seconds = time.perf_counter() - started
            served = _series_count(batch) if len(batch) > 1 else 0

    def regather_seconds(self, call_seconds: float) -> float:
        """How long to wait after a merged call that took ``call_seconds`` for the next one to fill."""
        return REGATHER_SHARE * call_seconds

    def _take(self, group: _Group) -> list[Pending]:
        """Oldest first, as many as fit under ``max_series`` (always at least one)."""
        batch: list[Pending] = []
        total = 0
        while group.queue:
            size = len(group.queue[0].request.series)
            if batch and total + size > self.max_series:
                break
            batch.append(group.queue.popleft())
            total += size
        return batch

    def run(self, model: str, batch: list[Pending]) -> None:
        """One call for the batch, answered per request; a merged call that fails runs them alone."""
        batch = self._drop_cancelled(batch)
        if not batch:
            return
        self.replies.started([p.request_id for p in batch])
        if len(batch) == 1:
            self._run_alone(model, batch[0])
            return
        merged, origin = merge([p.request for p in batch])
        logger.debug("merged %d requests (%d series) for %s", len(batch), len(merged.series), model)
        parts = [self.replies.work(p.request_id) for p in batch]
        shared = SharedWork(parts, report=lambda done, total: [part.report(done, total) for part in parts])
        try:
            with working(shared):
                result = self.adapter.forecast(model, merged)
        except TollamaError as exc:
            if not isinstance(exc, InvalidRequest):
                for pending in batch:  # not about any one request (the model is not loaded, ...)
                    self.replies.error(pending.request_id, exc)
                return
            self._run_each(model, batch)
            return
        except Exception:
            logger.warning("a merged call of %d requests failed; running them one by one", len(batch), exc_info=True)
            self._run_each(model, batch)
            return
        for pending, part in zip(batch, split(result, len(batch), origin), strict=True):
            self.replies.result(pending.request_id, part)

    def _run_each(self, model: str, batch: list[Pending]) -> None:
        for pending in batch:
            self._run_alone(model, pending)

    def _drop_cancelled(self, batch: list[Pending]) -> list[Pending]:
        """Answer the requests cancelled while they waited; the others go on."""
        kept = []
        for pending in batch:
            try:
                self.replies.work(pending.request_id).check()
            except TollamaError as exc:
                self.replies.error(pending.request_id, exc)
                continue
            kept.append(pending)
        return kept

    def _run_alone(self, model: str, pending: Pending) -> None:
        try:
            with working(self.replies.work(pending.request_id)):
                result = self.adapter.forecast(model, pending.request)
        except Exception as exc:
            self.replies.error(pending.request_id, exc)
            return
        self.replies.result(pending.request_id, result)


def _series_count(queue: Iterable[Pending]) -> int:
    return sum(len(p.request.series) for p in queue)


def _filled(queue: deque[Pending], series: int) -> Callable[[], bool]:
    return lambda: _series_count(queue) >= series
