from __future__ import annotations

import json

import pytest

from tollama.core.config import (
    TollamaConfig,
    get_config_value,
    load_config,
    parse_host,
    save_config,
    set_config_value,
)
from tollama.core.errors import InvalidRequest
from tollama.core.pull_settings import resolve_pull_settings, shown_settings
from tollama.core.redaction import redact, redact_url


def test_set_get_unset_round_trip(tmp_path):
    path = tmp_path / "config.json"
    config = set_config_value(TollamaConfig(), "pull.offline", "true")
    config = set_config_value(config, "pull.https_proxy", "http://u:p@proxy:3128")
    save_config(path, config)
    loaded = load_config(path)
    assert get_config_value(loaded, "pull.offline") is True
    assert json.loads(path.read_text())["pull"]["https_proxy"] == "http://u:p@proxy:3128"
    assert get_config_value(set_config_value(loaded, "pull.offline", None), "pull.offline") is None
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind


@pytest.mark.parametrize("key", ["pull.token", "hf_token", "pull.api_key"])
def test_secret_keys_are_refused(key):
    with pytest.raises(InvalidRequest, match="never written"):
        set_config_value(TollamaConfig(), key, "hf_secret")


def test_unknown_keys_and_bad_booleans_are_refused():
    with pytest.raises(InvalidRequest, match=r"unknown config key 'pull\.speed'"):
        set_config_value(TollamaConfig(), "pull.speed", "1")
    with pytest.raises(InvalidRequest, match="takes true or false"):
        set_config_value(TollamaConfig(), "daemon.auto_bootstrap", "maybe")


def test_corrupt_config_names_the_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(InvalidRequest, match=str(path)):
        load_config(path)


def test_pull_settings_precedence_and_redaction():
    config = set_config_value(TollamaConfig(), "pull.https_proxy", "http://cfg:pw@proxy:1")
    config = set_config_value(config, "pull.hf_home", "/cfg/hf")
    env = {"HTTPS_PROXY": "http://env:secret@proxy:2", "TOLLAMA_HF_TOKEN": "hf_abc"}
    settings = resolve_pull_settings({"hf_home": "/req/hf"}, config, env)
    assert (settings["hf_home"].value, settings["hf_home"].source) == ("/req/hf", "request")
    assert (settings["https_proxy"].source, settings["offline"].source) == ("env", "default")
    shown = shown_settings(settings)
    assert shown["https_proxy"]["value"] == "http://***:***@proxy:2"
    assert shown["token"] == {"value": "***", "source": "env"}
    assert "hf_abc" not in json.dumps(shown) and "secret" not in json.dumps(shown)


def test_redact_masks_secret_keys_and_url_credentials():
    data = {"HTTP_PROXY": "http://me:pw@p:3128", "token": "hf_x", "nested": [{"api_key": "k"}], "n": 1}
    assert redact(data) == {
        "HTTP_PROXY": "http://***:***@p:3128",
        "token": "***",
        "nested": [{"api_key": "***"}],
        "n": 1,
    }
    assert redact_url("http://proxy:3128") == "http://proxy:3128"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.0.0.0:8080", ("0.0.0.0", 8080)), ("127.0.0.1", ("127.0.0.1", 11435)), (":9000", ("127.0.0.1", 9000))],
)
def test_parse_host(value, expected):
    assert parse_host(value) == expected


def test_config_set_on_a_full_disk_is_one_clear_error_and_keeps_the_old_file(tollama_home, monkeypatch):
    """Issue 15, point 10: on main `tollama config set` printed a traceback on a full disk."""
    import errno
    import os

    from typer.testing import CliRunner

    from tollama.cli.main import app

    runner = CliRunner()
    assert runner.invoke(app, ["config", "set", "default_model", "mock"]).exit_code == 0
    before = (tollama_home / "config.json").read_text()

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    result = runner.invoke(app, ["config", "set", "default_model", "auto-ets"])
    assert result.exit_code == 10, result.output
    assert "No space left on device" in result.output and "Traceback" not in result.output
    assert (tollama_home / "config.json").read_text() == before
    assert [p.name for p in tollama_home.iterdir()] == ["config.json"]  # no temp file left behind
