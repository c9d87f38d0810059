"""Everything the routes need, built once per app by the lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from tollama.core.config import DEFAULT_MODEL
from tollama.core.store import ModelStore
from tollama.daemon.admission import Admission
from tollama.daemon.derived import DerivedService
from tollama.daemon.forecasting import ForecastService
from tollama.daemon.observability import DaemonMetrics
from tollama.daemon.package_pull import PackagePull
from tollama.daemon.pulling import PullService
from tollama.daemon.runtimes import RuntimeManager
from tollama.daemon.settings import DaemonSettings
from tollama.daemon.spawn import make_spawn
from tollama.daemon.supervisor import SpawnFn, Supervisor


@dataclass
class Services:
    settings: DaemonSettings
    store: ModelStore
    supervisor: Supervisor
    forecasts: ForecastService
    pulls: PullService
    runtimes: RuntimeManager
    metrics: DaemonMetrics = field(default_factory=DaemonMetrics)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    derived: DerivedService = field(init=False)

    def __post_init__(self) -> None:
        # Derived models forecast and pull through the ordinary services, which hand them over here.
        self.derived = self.forecasts.derived = self.pulls.derived = DerivedService(
            self.store, self.forecasts, self.pulls
        )

    @classmethod
    def build(
        cls, settings: DaemonSettings, spawn: SpawnFn | None = None, metrics: DaemonMetrics | None = None
    ) -> Services:
        store = ModelStore(settings.paths.models)
        metrics = metrics or DaemonMetrics()
        runtimes = RuntimeManager.from_settings(settings)
        # An injected spawn fakes the runners (unit tests): then no runtime is ever built.
        prepare = runtimes.prepare if spawn is None else None
        supervisor = Supervisor(
            spawn or make_spawn(settings.paths, runtimes.command_for),
            timeout=settings.forecast_timeout,
            total_timeout=settings.forecast_total_timeout,
            default_keep_alive=settings.keep_alive,
            max_loaded=settings.max_loaded_models,
            runtime_of=runtimes.identity if spawn is None else None,
        )

        def default_model() -> str:
            return settings.config().default_model or DEFAULT_MODEL

        forecasts = ForecastService(
            store,
            supervisor,
            default_model,
            admission=Admission(settings.num_parallel, settings.max_queue, settings.batch_parallel),
            limits=settings.limits,
            on_load=metrics.observe_load,
            prepare_runtime=prepare,
            license_policy=lambda: settings.config().license_policy,
        )

        def packages() -> PackagePull:  # the interpreter the family's runner will use holds the package
            return PackagePull(prepare, lambda family: runtimes.command_for(family)[0])

        pulls = PullService(store, settings, runtimes.prepare_in_background if spawn is None else None, packages)
        services = cls(settings, store, supervisor, forecasts, pulls, runtimes, metrics)
        metrics.watch(services)
        return services

    async def close(self) -> None:
        await self.pulls.close()
        await self.runtimes.close()
        await self.supervisor.close()
        self.metrics.unwatch()
