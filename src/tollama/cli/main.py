"""``tollama``: one function per verb; every daemon call goes through ``tollama.client.Client``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tollama import __version__
from tollama.cli import (
    batch_cmd,
    config_cmd,
    create_cmd,
    eval_cmd,
    key_cmd,
    root_cmd,
    run_files,
    runtime_cmd,
    stop_cmd,
)
from tollama.cli.autostart import autostart_disabled, is_loopback_url, start_daemon
from tollama.cli.forecast_progress import ForecastProgress
from tollama.cli.forecast_view import print_forecast
from tollama.cli.options import BaseUrl, JsonOut, Timeout, make_client
from tollama.cli.output import (
    PullProgress,
    err_console,
    handle_errors,
    human_ago,
    human_size,
    human_until,
    print_json,
    print_table,
)
from tollama.client import Client
from tollama.core.config import DEFAULT_MODEL, Paths, load_config
from tollama.core.errors import DaemonUnreachable, InvalidRequest, ModelNotFound, TollamaError
from tollama.core.info import collect_local_info
from tollama.core.registry import load_registry

app = typer.Typer(
    help="Local-first forecasting with time-series foundation models.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(key_cmd.app, name="key")
app.add_typer(runtime_cmd.app, name="runtime")
app.callback()(root_cmd.root_options)
app.command("create")(create_cmd.create)
app.command("eval")(eval_cmd.eval_cmd)
app.command("batch")(batch_cmd.batch)


def _client(base_url: str | None, timeout: float | None = None, default_timeout: float | None = None) -> Client:
    return make_client(base_url, timeout, default_timeout)


@app.command()
def serve(
    stop: Annotated[
        bool, typer.Option("--stop", help="Stop the running daemon instead (loopback or API key).")
    ] = False,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
) -> None:
    """Start the daemon (TOLLAMA_HOST=host:port, default 127.0.0.1:11435), or --stop it."""
    with handle_errors():
        if stop:
            stop_cmd.stop_daemon(_client(base_url, timeout, 10), timeout)
            return
        from tollama.daemon.memory_return import exec_with_one_heap
        from tollama.daemon.serve import run as run_daemon

        exec_with_one_heap()  # re-runs this daemon as `python -m tollama.daemon.serve`, same pid
        run_daemon()


@app.command()
def mcp(base_url: BaseUrl = None, timeout: Timeout = None) -> None:
    """Serve the MCP tools over stdio (for Claude Desktop, Cursor, VS Code; see docs/mcp.md)."""
    from tollama.cli.mcp_cmd import serve_stdio

    with handle_errors():
        serve_stdio(base_url, timeout)


@app.command("version")
def version_cmd(base_url: BaseUrl = None, timeout: Timeout = None) -> None:
    """Print the CLI version and, when reachable, the daemon's."""
    typer.echo(f"tollama client version {__version__}")
    try:
        typer.echo(f"tollama daemon version {_client(base_url, timeout, 5).version()}")
    except TollamaError:
        err_console.print("Warning: could not reach a running daemon")


@app.command("list")
def list_cmd(
    base_url: BaseUrl = None,
    as_json: JsonOut = False,
    available: Annotated[bool, typer.Option("--available", help="List what can be pulled.")] = False,
    timeout: Timeout = None,
) -> None:
    """List installed models (or, with --available, the registry)."""
    with handle_errors():
        if available:
            specs = list(load_registry().values())
            if as_json:
                print_json([s.model_dump(mode="json") for s in specs])
                return
            print_table(
                ["NAME", "FAMILY", "LICENSE", "CLASS", "DESCRIPTION"],
                [[s.name, s.family, s.license.id, s.license.category, s.description] for s in specs],
            )
            return
        models = _client(base_url, timeout).list().models
        if as_json:
            print_json({"models": [m.model_dump(mode="json") for m in models]})
            return
        print_table(
            ["NAME", "FAMILY", "SIZE", "MODIFIED"],
            [[m.name, m.family, human_size(m.size), m.error or human_ago(m.modified_at)] for m in models],
        )


@app.command()
def ps(base_url: BaseUrl = None, as_json: JsonOut = False, timeout: Timeout = None) -> None:
    """List loaded models: runner PID, memory (RSS), device, and when each unloads."""
    with handle_errors():
        models = _client(base_url, timeout).ps().models
        if as_json:
            print_json({"models": [m.model_dump(mode="json") for m in models]})
            return
        print_table(
            ["NAME", "FAMILY", "PID", "RSS", "DEVICE", "LOADED", "UNTIL"],
            [
                [
                    m.name,
                    m.family,
                    m.pid,
                    human_size(m.rss_bytes),
                    m.device or "-",
                    human_ago(m.loaded_at),
                    human_until(m.expires_at),
                ]
                for m in models
            ],
        )


@app.command()
def show(model: str, base_url: BaseUrl = None, as_json: JsonOut = False, timeout: Timeout = None) -> None:
    """Show an installed model's manifest."""
    with handle_errors():
        manifest = _client(base_url, timeout).show(model)
        data = manifest.model_dump(mode="json")
        if as_json:
            print_json(data)
            return
        caps = [k for k, v in manifest.capabilities.model_dump().items() if v]
        limits = {k: v for k, v in manifest.limits.model_dump().items() if v is not None}
        rows = [
            ["name", manifest.name],
            ["family", manifest.family],
            ["description", manifest.description],
            *create_cmd.derived_rows(manifest),
            ["license", manifest.license.id + (" (accepted)" if manifest.accepted_at else "")],
            ["license class", manifest.license.category],
            ["license terms", manifest.license.url],
            ["source", manifest.source.repo_id or manifest.source.package or manifest.source.type],
            ["revision", manifest.source.revision],
            ["commit", manifest.resolved.commit_sha],
            [
                "package",
                manifest.resolved.package_version and f"{manifest.source.package}=={manifest.resolved.package_version}",
            ],
            ["snapshot", manifest.resolved.snapshot_path],
            *[[f"sha256 {name}", digest] for name, digest in (manifest.resolved.sha256 or {}).items()],
            ["size", human_size(manifest.size_bytes)],
            ["pulled", manifest.pulled_at],
            ["capabilities", ", ".join(caps)],
            ["limits", ", ".join(f"{k}={v}" for k, v in limits.items())],
            *[["note", note] for note in manifest.notes],
        ]
        print_table(["FIELD", "VALUE"], [r for r in rows if r[1]])


@app.command()
def pull(
    model: str,
    base_url: BaseUrl = None,
    accept_license: Annotated[bool, typer.Option("--accept-license", help="Accept the model's license.")] = False,
    offline: Annotated[bool | None, typer.Option("--offline/--online", help="Use the local cache only.")] = None,
    https_proxy: Annotated[str | None, typer.Option("--https-proxy")] = None,
    http_proxy: Annotated[str | None, typer.Option("--http-proxy")] = None,
    no_proxy: Annotated[str | None, typer.Option("--no-proxy")] = None,
    hf_home: Annotated[str | None, typer.Option("--hf-home", help="Hugging Face cache home.")] = None,
    token: Annotated[
        str | None, typer.Option("--token", envvar="TOLLAMA_HF_TOKEN", help="HF token (never stored).")
    ] = None,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Wait for the end, print one JSON.")] = False,
    timeout: Timeout = None,
) -> None:
    """Download a model (with progress) and install its manifest."""
    options = {
        "accept_license": accept_license or None,
        "offline": offline,
        "https_proxy": https_proxy,
        "http_proxy": http_proxy,
        "no_proxy": no_proxy,
        "hf_home": hf_home,
        "token": token,
    }
    with handle_errors():
        client = _client(base_url, timeout)
        if no_stream:
            print_json(client.pull(model, **options))
            return
        _pull_with_progress(client, model, options)


def _pull_with_progress(client: Client, model: str, options: dict[str, Any]) -> None:
    with PullProgress() as progress:
        for event in client.pull(model, stream=True, **options):
            progress.update(event)


@app.command("rm")
def rm(models: list[str], base_url: BaseUrl = None, timeout: Timeout = None) -> None:
    """Remove installed models (unloading them first)."""
    with handle_errors():
        client = _client(base_url, timeout)
        for model in models:
            answer = client.delete(model)
            typer.echo(f"deleted '{model}'")
            for warning in answer.get("warnings", []):
                err_console.print(f"warning: {warning}", markup=False)


@app.command()
def run(
    model: Annotated[str | None, typer.Argument(help="Model; default: the request's or the configured one.")] = None,
    input_file: Annotated[str | None, typer.Option("--input", "-i", help="Request JSON file ('-' for stdin).")] = None,
    csv_file: Annotated[str | None, typer.Option("--csv", help="Long or single-series CSV to forecast.")] = None,
    future_file: Annotated[
        str | None, typer.Option("--future", help="With --csv: the horizon's known-future covariates (X_df) CSV.")
    ] = None,
    id_col: Annotated[str, typer.Option("--id-col", help="CSV series id column.")] = "unique_id",
    time_col: Annotated[str, typer.Option("--time-col", help="CSV timestamp column.")] = "ds",
    target_col: Annotated[str, typer.Option("--target-col", help="CSV target column.")] = "y",
    freq: Annotated[str | None, typer.Option("--freq", help="CSV frequency (default: inferred).")] = None,
    horizon: Annotated[int | None, typer.Option("--horizon", help="Override the horizon.")] = None,
    quantiles: Annotated[str | None, typer.Option("--quantiles", help="Comma-separated levels.")] = None,
    keep_alive: Annotated[str | None, typer.Option("--keep-alive", help="e.g. 5m, 0, -1.")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write out.csv (table) or out.json.")] = None,
    plot: Annotated[str | None, typer.Option("--plot", help="Draw history and forecast to an image.")] = None,
    max_plots: Annotated[int, typer.Option("--max-plots", help="Series drawn by --plot.")] = 4,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="No progress lines; one answer.")] = False,
    as_json: JsonOut = False,
    no_pull: Annotated[bool, typer.Option("--no-pull", help="Never pull a missing model.")] = False,
    no_autostart: Annotated[bool, typer.Option("--no-autostart", help="Never start a daemon.")] = False,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
) -> None:
    """Forecast: read a request (JSON, SageMaker JSON or CSV), send it, print the forecast."""
    with handle_errors():
        if csv_file and input_file:
            raise InvalidRequest("--csv and --input exclude each other")
        run_files.check_output_path(output)
        if future_file and not csv_file:
            raise InvalidRequest("--future goes with --csv (the history it extends)")
        prepared = None
        if csv_file:
            prepared = run_files.read_csv(
                csv_file,
                horizon=horizon,
                freq=freq,
                id_col=id_col,
                time_col=time_col,
                target_col=target_col,
                future_file=future_file,
            )
        request = prepared.body if prepared else run_files.read_request(input_file)
        if model:
            request["model"] = model
        if horizon is not None:
            request["horizon"] = horizon
        if quantiles is not None:
            request["quantiles"] = _parse_levels(quantiles)
        if keep_alive is not None:
            request["keep_alive"] = keep_alive
        client = _client(base_url, timeout)
        response = _forecast(
            client,
            request,
            stream=not no_stream,
            pull=not no_pull,
            autostart=not (no_autostart or autostart_disabled()),
        )
        if output or plot:
            result = run_files.forecast_result(request, response, prepared)
            if output:
                run_files.write_output(result, output)
            if plot:
                run_files.write_plot(result, plot, max_plots)
        if as_json:
            print_json(response)
        else:
            print_forecast(response)


def _forecast(client: Client, request: dict[str, Any], *, stream: bool, pull: bool, autostart: bool) -> dict:
    """Send the forecast; start a loopback daemon and pull a missing model once each if allowed."""
    while True:
        try:
            return _send_forecast(client, request, stream)
        except DaemonUnreachable:
            if not (autostart and is_loopback_url(client.base_url)):
                raise
            autostart = False
            log = start_daemon(client)
            err_console.print(f"Started tollama daemon at {client.base_url} (log: {log})")
        except ModelNotFound as exc:
            name = request.get("model") or _default_model()
            spec = load_registry().get(name)
            if not pull or spec is None:
                raise
            pull = False
            if spec.license.needs_acceptance:
                raise ModelNotFound(
                    f"{exc.message}; it needs license acceptance: `tollama pull {name} --accept-license`"
                ) from None
            err_console.print(f"Pulling '{name}' (not installed yet)...")
            _pull_with_progress(client, name, {})


def _default_model() -> str:
    return load_config(Paths.from_env().config_file).default_model or DEFAULT_MODEL


def _send_forecast(client: Client, request: dict[str, Any], stream: bool) -> dict[str, Any]:
    if not stream:
        return client.forecast(request).model_dump(mode="json", exclude_none=True)
    final: dict[str, Any] = {}
    with ForecastProgress() as progress:
        for event in client.forecast_stream(request):
            if event.get("done"):
                final = event
            else:
                progress.update(event)
    return final


def _parse_levels(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InvalidRequest(f"--quantiles takes comma-separated numbers, not {text!r}") from None


@app.command()
def info(
    base_url: BaseUrl = None,
    as_json: JsonOut = False,
    local: Annotated[bool, typer.Option("--local", help="Collect locally; don't ask the daemon.")] = False,
    remote: Annotated[bool, typer.Option("--remote", help="Require the daemon's /api/info.")] = False,
    timeout: Timeout = None,
) -> None:
    """Diagnostics: daemon, paths, config, pull defaults, models, runners."""
    with handle_errors():
        if local and remote:
            raise InvalidRequest("--local and --remote exclude each other")
        client = _client(base_url, timeout, 10)
        payload: dict[str, Any]
        reachable = False
        if local:
            payload = collect_local_info(Paths.from_env())
        else:
            try:
                payload = client.info()
                reachable = True
            except DaemonUnreachable:
                if remote:
                    raise
                payload = collect_local_info(Paths.from_env())
        payload["daemon_url"] = client.base_url
        payload["daemon_reachable"] = reachable
        if as_json:
            print_json(payload)
        else:
            from tollama.cli.info_view import print_info

            print_info(payload)


app.command("stop")(stop_cmd.stop)
app.command("help")(root_cmd.help_cmd)


def main() -> None:
    app(prog_name="tollama")  # usage lines say `tollama` under `python -m tollama.cli.main` too


if __name__ == "__main__":
    main()
