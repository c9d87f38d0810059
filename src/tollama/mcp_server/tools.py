"""The MCP tools: one pydantic input model, one description and one handler each.

Input schemas are the contract's own pydantic models (``ForecastRequest`` for ``forecast``), so
an agent sees the same fields, limits and descriptions as the HTTP API. Handlers talk to the
daemon only through ``tollama.client.AsyncClient`` and answer ``(text, structured)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tollama.client import AsyncClient
from tollama.core.derived_create import CreateRequest
from tollama.core.errors import InvalidRequest
from tollama.core.evaluation import EvaluateRequest
from tollama.core.schemas import MODEL_NAME_SCHEMA, ForecastRequest
from tollama.mcp_server import summaries

# A forecast answer past this many series comes back as a summary plus the first ones.
MAX_SERIES_RETURNED = 100

ToolAnswer = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class ToolContext:
    """What a handler may use: the daemon client and the server's pull policy."""

    client: AsyncClient
    allow_pull: Callable[[], bool]


Handler = Callable[[ToolContext, Any], Awaitable[ToolAnswer]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    arguments: type[BaseModel]
    handler: Handler
    read_only: bool = True


class NoArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelArgument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        description="Model name, e.g. 'auto-ets', 'chronos2', 'fracast-0' (see list_models).",
        json_schema_extra=MODEL_NAME_SCHEMA,
    )


class PullArguments(ModelArgument):
    accept_license: bool = Field(
        default=False,
        description="Accept the model's licence (needed for models list_models marks 'needs_acceptance').",
    )


async def list_models(ctx: ToolContext, _: NoArguments) -> ToolAnswer:
    tags = await ctx.client.list()
    info = await ctx.client.info()
    installed = [m.model_dump(mode="json") for m in tags.models]
    available = list((info.get("models") or {}).get("available") or [])
    structured = {"installed": installed, "available": available}
    return summaries.models_summary(installed, available), structured


async def show_model(ctx: ToolContext, args: ModelArgument) -> ToolAnswer:
    manifest = (await ctx.client.show(args.model)).model_dump(mode="json", exclude_none=True)
    capabilities = manifest.get("capabilities") or {}
    takes = [name for name, value in capabilities.items() if value is True]
    text = (
        f"{manifest['name']} (family {manifest['family']}, licence {manifest.get('license', {}).get('id')}); "
        f"accepts: {', '.join(takes) or 'target only'}; limits: "
        + ", ".join(f"{k}={v}" for k, v in (manifest.get("limits") or {}).items() if v is not None)
    )
    return text, manifest


async def forecast(ctx: ToolContext, request: ForecastRequest) -> ToolAnswer:
    body = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    answer = (await ctx.client.forecast(body)).model_dump(mode="json", exclude_none=True)
    total = len(answer.get("forecasts") or [])
    shown = min(total, MAX_SERIES_RETURNED)
    text = summaries.forecast_summary(body, answer, shown)
    if shown < total:
        answer["forecasts"] = answer["forecasts"][:shown]
        answer["truncated"] = {"series_total": total, "series_returned": shown}
        text += (
            f"\nOnly the first {shown} of {total} forecasts are returned here; for all of them call the HTTP API "
            "(POST /api/forecast) or run `tollama batch` over a file."
        )
    return text, answer


async def evaluate(ctx: ToolContext, request: EvaluateRequest) -> ToolAnswer:
    body = request.model_dump(mode="json", exclude_none=True)
    # The route's own final object (leaderboard, per-series scores): no DataFrames for an agent.
    answer = await ctx.client._send(ctx.client._evaluate(body, stream=False))
    return summaries.leaderboard_summary(answer), answer


async def create_model(ctx: ToolContext, request: CreateRequest) -> ToolAnswer:
    definition = request.model_dump(mode="json", exclude_none=True, include={"ensemble", "auto", "overwrite"})
    answer = await ctx.client.create(request.model, **definition)
    kind = "ensemble" if request.ensemble else "auto"
    return f"created {kind} model '{request.model}'; forecast with it by name", {"model": request.model, **answer}


async def pull_model(ctx: ToolContext, args: PullArguments) -> ToolAnswer:
    if not ctx.allow_pull():
        raise InvalidRequest(
            f"pulling '{args.model}' from an agent is disabled; a person can run `tollama pull {args.model}`, "
            "or allow it with `tollama config set mcp.allow_pull true`"
        )
    await ctx.client.pull(args.model, accept_license=args.accept_license or None)
    return f"pulled '{args.model}'; it is installed and ready for forecast", {"model": args.model, "status": "success"}


FORECAST_DESCRIPTION = """Forecast one or more time series with an installed model.

Use it when you have numeric history and need future values with uncertainty. Give `series`
(each with a unique `id`, `target` values oldest first, optional `timestamps` and `freq` such as
'D', 'h', 'MS'), a `horizon` (steps ahead) and optional `quantiles` (e.g. [0.1, 0.5, 0.9]).
`model` may be omitted to use the configured default. Known-future covariates go in
`future_covariates` (horizon values) with their history in `past_covariates`.
Example: {"model": "auto-ets", "horizon": 3, "quantiles": [0.1, 0.9],
"series": [{"id": "sales", "freq": "MS", "timestamps": ["2024-01-01", "2024-02-01", "2024-03-01",
"2024-04-01"], "target": [10, 12, 13, 15]}]}
The answer has per series `mean`, `quantiles` and forecast `timestamps`, plus a text summary."""

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "list_models",
        "List models",
        "List installed models and the models available to pull, with capabilities (covariates, quantiles) and "
        "licence state. Call it first to know which model names you can forecast with.",
        NoArguments,
        list_models,
    ),
    ToolSpec(
        "show_model",
        "Show a model",
        "Show one installed model's manifest: family, licence, what covariates it accepts and its limits "
        '(max horizon, context). Example: {"model": "auto-ets"}.',
        ModelArgument,
        show_model,
    ),
    ToolSpec("forecast", "Forecast time series", FORECAST_DESCRIPTION, ForecastRequest, forecast),
    ToolSpec(
        "evaluate",
        "Backtest and rank models",
        "Backtest installed models on the user's series (rolling-origin windows at the end of each series) and "
        "rank them by the first metric (lower is better). Use it to pick which model to trust before forecasting. "
        'Example: {"models": ["auto-ets", "seasonal-naive"], "horizon": 6, "windows": 2, "metrics": ["mase", "wql"], '
        '"series": [{"id": "sales", "freq": "MS", "target": [10, 12, 13, 15, 14, 16, 18, 17, 19, 21, 20, 22]}]}. '
        "Answers the leaderboard as a text table plus per-series scores.",
        EvaluateRequest,
        evaluate,
    ),
    ToolSpec(
        "create_model",
        "Create an ensemble or auto model",
        "Create a model from installed ones: an `ensemble` (mean or median of its members' forecasts) or an `auto` "
        "model (per series, the candidate with the best backtest score). It can then be used by name. Example: "
        '{"model": "my-ensemble", "ensemble": {"members": ["auto-ets", "auto-theta"], "method": "mean"}}.',
        CreateRequest,
        create_model,
        read_only=False,
    ),
    ToolSpec(
        "pull_model",
        "Install a model",
        "Download and install a model so it can forecast. Only allowed when the user enabled it "
        "(`tollama config set mcp.allow_pull true`); otherwise ask the user to run `tollama pull MODEL`. "
        'Example: {"model": "auto-ets"}.',
        PullArguments,
        pull_model,
        read_only=False,
    ),
)
