"""uv gets the user's pip settings as flags; installer failures keep their last lines."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tollama.daemon.runtimes.installer import (
    InstallerFailed,
    choose_installer,
    find_uv,
    read_pip_config,
    run_logged,
    uv_settings_from_pip,
)


def test_pip_config_files_and_pip_env_vars_are_read_with_env_winning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nindex-url = https://mirror.example/simple\nfind-links = /wheels-a\n[install]\npre = true\n"
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_FIND_LINKS", "/wheels-b")
    config = read_pip_config(sys.executable)
    assert config["index-url"] == "https://mirror.example/simple"
    assert config["find-links"] == "/wheels-b"
    assert config["pre"] == "true"


def test_pip_settings_become_uv_flags_and_environment() -> None:
    args, env = uv_settings_from_pip(
        {
            "index-url": "https://mirror.example/simple",
            "extra-index-url": "file:///a file:///b",
            "find-links": "/wheels",
            "constraint": "/etc/pip/constraints.txt",
            "trusted-host": "mirror.example",
            "no-index": "false",
            "cert": "/etc/ssl/ca.pem",
            "proxy": "http://proxy:3128",
            "default-timeout": "180",
        }
    )
    assert args[:2] == ["--index-url", "https://mirror.example/simple"]
    for pair in (
        ["--extra-index-url", "file:///a"],
        ["--extra-index-url", "file:///b"],
        ["--find-links", "/wheels"],
        ["-c", "/etc/pip/constraints.txt"],
        ["--allow-insecure-host", "mirror.example"],
        ["--index-strategy", "unsafe-best-match"],
    ):
        joined = " ".join(args)
        assert " ".join(pair) in joined
    assert "--no-index" not in args
    assert env == {
        "SSL_CERT_FILE": "/etc/ssl/ca.pem",
        "HTTPS_PROXY": "http://proxy:3128",
        "HTTP_PROXY": "http://proxy:3128",
        "UV_HTTP_TIMEOUT": "180",
    }


def test_a_failing_installer_run_keeps_its_last_lines_and_logs_everything(tmp_path: Path) -> None:
    log = tmp_path / "install.log"
    script = "import sys\nfor i in range(20): print(f'line {i}')\nsys.exit(3)"
    with pytest.raises(InstallerFailed) as caught:
        asyncio.run(run_logged([sys.executable, "-c", script], log))
    assert caught.value.exit_code == 3
    assert caught.value.tail[-1] == "line 19"
    assert "line 0" not in caught.value.tail
    assert "line 0" in log.read_text()


def test_the_logged_command_hides_url_credentials(tmp_path: Path) -> None:
    log = tmp_path / "install.log"
    asyncio.run(run_logged([sys.executable, "-c", "pass", "--index-url", "https://me:s3cret@mirror/simple"], log))
    assert "s3cret" not in log.read_text()
    assert "https://***:***@mirror/simple" in log.read_text()


def test_pip_is_used_when_asked_for() -> None:
    installer = choose_installer("pip")
    assert installer.name == "pip"
    command = installer.install_command(Path("/venv/bin/python"), ["pkg"], Path("/c.txt"))
    assert command[:4] == ["/venv/bin/python", "-m", "pip", "install"]
    assert command[-3:] == ["-c", "/c.txt", "pkg"]


def _local_torch_wheel(config: dict[str, str]) -> bool:
    folders = [Path(p) for p in config.get("find-links", "").split() if "://" not in p]
    return any(any(f.glob("torch-2.13.0+cpu-*.whl")) for f in folders if f.is_dir())


@pytest.mark.skipif(find_uv() is None, reason="uv is not installed")
def test_uv_with_the_users_pip_settings_resolves_the_pinned_torch_to_the_local_cpu_wheel(tmp_path: Path) -> None:
    """The machine's pip config points at a local CPU wheel that uv alone would not see."""
    installer = choose_installer("uv")
    if not _local_torch_wheel(read_pip_config(sys.executable)):
        pytest.skip("pip's configuration names no local torch 2.13.0+cpu wheel on this machine")
    pins = tmp_path / "constraints.txt"
    pins.write_text("torch==2.13.0\n")
    venv = tmp_path / "venv"
    asyncio.run(run_logged(installer.venv_command(venv, sys.executable), tmp_path / "log"))
    command = [*installer.install_command(venv / "bin" / "python", ["torch==2.13.0"], pins), "--dry-run"]
    asyncio.run(run_logged(command, tmp_path / "log", installer.env))
    plan = (tmp_path / "log").read_text()
    assert "torch==2.13.0+cpu" in plan
    assert "nvidia" not in plan
