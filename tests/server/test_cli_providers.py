"""`switchboard providers`: each provider's backend from here (API, CLI, none) and why, keys named never shown."""

from __future__ import annotations

import json
import os

from server.cli import main

KEY = "sk-proj-" + "Zq9Wx8Ec7Rv6Tb5Yn4Um3" * 2


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fake_cli(folder, name: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def test_each_backend_is_named_with_its_reason_and_no_secret(cli_env, monkeypatch, capsys, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    claude = fake_cli(bin_dir, "claude")
    monkeypatch.setenv("PATH", str(bin_dir))
    for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "SWITCHBOARD_DISPATCHED"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://team:hunter2pw@proxy.example/v1?key=abc123")
    code, out, err = run(capsys, "providers")
    assert code == 0 and err == ""
    lines = out.splitlines()
    codex = next(line for line in lines if line.startswith("codex:"))
    assert "api (openai-responses)" in codex and "key from OPENAI_API_KEY" in codex
    assert "proxy.example" in codex and "hunter2pw" not in codex and "abc123" not in codex
    assert KEY not in out
    assert next(line for line in lines if line.startswith("claude:")).startswith("claude: cli (claude -p")
    assert claude in out
    gemini = next(line for line in lines if line.startswith("gemini:"))
    assert "none (recommendation only)" in gemini and "GEMINI_API_KEY" in gemini

    code, out, _ = run(capsys, "providers", "--json")
    rows = {row["provider"]: row for row in json.loads(out)["providers"]}
    assert code == 0 and KEY not in out and "hunter2pw" not in out
    assert (rows["codex"]["backend"], rows["codex"]["key_from"]) == ("api", "OPENAI_API_KEY")
    assert (rows["claude"]["backend"], rows["claude"]["cli"]) == ("cli", claude)
    assert rows["gemini"]["backend"] == "none"


def test_with_nothing_configured_it_says_switchboard_only_recommends(cli_env, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    for var in [v for v in os.environ if v.endswith(("_API_KEY", "_BASE_URL"))] + ["SWITCHBOARD_DISPATCHED"]:
        monkeypatch.delenv(var, raising=False)
    code, out, _ = run(capsys, "providers")
    assert code == 0 and "No provider can run tasks here" in out


def test_inside_a_dispatched_task_no_provider_dispatches(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SWITCHBOARD_DISPATCHED", "4242")
    code, out, _ = run(capsys, "providers", "--json")
    shown = json.loads(out)
    assert code == 0 and all(row["backend"] == "none" for row in shown["providers"])
    assert "4242" in shown["dispatch_disabled"]


def test_inside_a_dispatched_task_no_row_reads_as_using_a_key_or_an_endpoint(cli_env, monkeypatch, capsys):
    # Each row said backend "none" but kept the key variable, the base URL and a summary of "codex: api ...".
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SWITCHBOARD_DISPATCHED", "4242")
    codex = json.loads(run(capsys, "providers", "--json")[1])["providers"][0]
    assert (codex["key_from"], codex["base_url"], codex["cli"]) == (None, None, None)
    assert codex["summary"].startswith("codex: none") and "4242" in codex["reason"]
    code, out, _ = run(capsys, "providers")
    assert code == 0 and "OPENAI_API_KEY" not in out


def test_limits_name_the_rate_window(cli_env, capsys):
    with (cli_env / ".switchboard.toml").open("a") as f:
        f.write("[execution]\nrate_window_seconds = 3600\n")
    code, out, _ = run(capsys, "providers")
    assert code == 0 and " requests/hour, " in out and "/min" not in out
