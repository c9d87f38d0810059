"""The human view of ``tollama info``."""

from __future__ import annotations

from typing import Any

from tollama.cli.output import console, human_size


def print_info(payload: dict[str, Any]) -> None:
    paths = payload.get("paths", {})
    daemon = payload.get("daemon") or {}
    reachable = payload.get("daemon_reachable")
    lines = [
        "Tollama",
        f"  Home: {paths.get('tollama_home')}",
        f"  Config: {paths.get('config_path')} ({'exists' if paths.get('config_exists') else 'missing'})",
        f"  Daemon: {payload.get('daemon_url')} "
        + (f"(reachable) version={daemon.get('version')}" if reachable else "(not reachable; local view)"),
        "",
        "Pull defaults (effective)",
    ]
    for key, entry in payload.get("pull_defaults", {}).items():
        value = entry.get("value")
        shown = "true" if value is True else "false" if value is False else ("-" if value is None else value)
        lines.append(f"  {key}: {shown} (source={entry.get('source')})")
    models = payload.get("models", {})
    lines += ["", "Installed models"]
    for model in models.get("installed", []) or [{"name": "(none)"}]:
        lines.append(f"  {model['name']}" + _caps(model.get("capabilities")))
    lines += ["", "Loaded models"]
    for model in models.get("loaded", []) or [{"name": "(none)"}]:
        lines.append(f"  {model['name']}" + (f" pid={model['pid']}" if model.get("pid") else ""))
    if payload.get("runners"):
        lines += ["", "Runners"]
        for runner in payload["runners"]:
            lines.append(
                f"  {runner['family']}: {runner['status']} pid={runner.get('pid')} python={runner.get('python')}"
            )
    if payload.get("runtimes"):
        lines += ["", "Runtimes"]
        for rt in payload["runtimes"]:
            python = rt["python"] if rt.get("uses_runtime") else f"{rt['python']} (daemon)"
            lines.append(
                f"  {rt['family']}: {rt['status']} python={python} extra={rt.get('extra') or '-'} "
                f"tollama={rt.get('tollama_version') or '-'} size={human_size(rt.get('size_bytes'))}"
            )
    for error in payload.get("errors", []):
        lines.append(f"\nError: {error}")
    console.print("\n".join(lines), markup=False)


def _caps(capabilities: dict[str, bool] | None) -> str:
    if not capabilities:
        return ""
    covariates = [k.replace("_covariates_", " ") for k, v in capabilities.items() if v and "covariates" in k]
    return f"  covariates: {', '.join(covariates) if covariates else 'none'}"
