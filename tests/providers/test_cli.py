"""CLI backends against the fake codex, gemini and claude executables in tests/fakes/bin."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
import pytest

from router_core.clock import SystemClock
from router_core.errors import (
    AuthFailed,
    CliOutputUnreadable,
    NotConfigured,
    PromptTooLongForCli,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from router_core.providers import CliAdapter, CompletionRequest
from router_core.providers.base import PROBE_PROMPT, cli_prompt
from router_core.providers.cli_claude import CLAUDE
from router_core.providers.cli_codex import CODEX
from router_core.providers.cli_gemini import GEMINI
from tests.providers.conftest import FAKE_BIN

pytestmark = pytest.mark.slow

UTC_ZONE = ZoneInfo("UTC")
COMMANDS = {
    "codex": ("exec", "--json", "--skip-git-repo-check"),
    "gemini": ("--output-format", "json"),
    "claude": ("-p", "--output-format", "json"),
}
DIALECTS = {"codex": CODEX, "gemini": GEMINI, "claude": CLAUDE}


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "runs.jsonl"


def cli(name: str, record: Path, *, model: str = "", timeout: float = 30.0, **env: str) -> CliAdapter:
    """An adapter running the fake CLI through this interpreter (explicit argv, no PATH lookup)."""
    environ = {**os.environ, "TZ": "UTC", "FAKE_CLI_RECORD": str(record), **env}
    command = (sys.executable, str(FAKE_BIN / name), *COMMANDS[name])
    return CliAdapter(provider=name, command=command, dialect=DIALECTS[name], clock=SystemClock(),
                      environ=environ, default_model=model, timeout=timeout, local_tz=UTC_ZONE)


def runs(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()]


def whole_minute_ahead(hours: float) -> int:
    return int((time.time() + hours * 3600) // 60 * 60)


async def test_codex_success(record):
    result = await cli("codex", record, model="gpt-5.1-codex").complete(
        CompletionRequest(prompt="add a test", system_prompt="You are terse."))
    prompt = "<instructions>\nYou are terse.\n</instructions>\n\nadd a test"
    assert result.text == f"codex fake answer to: {' '.join(prompt.split())[:80]}"
    assert (result.provider, result.model, result.backend, result.cost_usd) == ("codex", "gpt-5.1-codex", "cli", None)
    assert (result.input_tokens, result.output_tokens) == (-(-len(prompt) // 4), -(-len(result.text) // 4))
    (run,) = runs(record)
    assert run["argv"] == ["exec", "--json", "--skip-git-repo-check", "--model=gpt-5.1-codex", "-"]
    assert run["prompt"] == prompt  # read from stdin


async def test_gemini_success_reads_pretty_json_and_model(record):
    result = await cli("gemini", record, model="gemini-2.5-pro").complete(CompletionRequest(prompt="explain TCP"))
    assert result.text == "gemini fake answer to: explain TCP"
    assert result.model == "gemini-2.5-pro"
    assert (result.input_tokens, result.output_tokens) == (3, -(-len(result.text) // 4))
    (run,) = runs(record)
    assert run["argv"] == ["--output-format", "json", "--model=gemini-2.5-pro"]
    assert run["prompt"] == "explain TCP"


async def test_claude_success_reports_cost(record):
    result = await cli("claude", record).complete(CompletionRequest(prompt="plan the migration"))
    (run,) = runs(record)
    printed = json.loads(run["stdout"])
    assert (run["argv"], run["prompt"]) == (["-p", "--output-format", "json"], "plan the migration")
    assert result.text == printed["result"]
    assert result.cost_usd == printed["total_cost_usd"]
    assert result.model == "claude-sonnet-4-5"  # from modelUsage; no --model was passed
    assert (result.input_tokens, result.output_tokens) == (printed["usage"]["input_tokens"],
                                                           printed["usage"]["output_tokens"])


@pytest.mark.parametrize("mode", ["ok", "usage_limit"])
async def test_claude_in_verbose_mode_prints_an_array_whose_last_element_is_the_result(record, mode):
    # With verbose on (--verbose, or "verbose" in the user's ~/.claude/settings.json) claude 2.1.x prints the
    # session's messages as one JSON array (anthropics/claude-code#84784): a paid answer was called "not JSON",
    # the claude CLI given up on, and a usage limit was not held until its reset.
    adapter = cli("claude", record, FAKE_CLAUDE_MODE=mode)
    adapter.command = (*adapter.command, "--verbose")
    request = CompletionRequest(prompt="plan the migration")
    if mode == "usage_limit":
        with pytest.raises(QuotaExhausted) as caught:
            await adapter.complete(request)
        assert caught.value.resets_at is not None
        return
    result = await adapter.complete(request)
    printed = json.loads(runs(record)[0]["stdout"])[-1]
    assert (result.text, result.cost_usd) == (printed["result"], printed["total_cost_usd"])


@pytest.mark.parametrize("name", ["codex", "gemini", "claude"])
async def test_a_prompt_over_the_kernels_argument_limit_reaches_the_cli_whole(record, name):
    # A command-line argument holds at most 128 KiB on Linux: a task with the files a host passed as context
    # was refused (PromptTooLongForCli) by every CLI, and a user with only CLI subscriptions could not run it.
    context = "".join(f"line {i:06d}: the quick brown fox — naïve café 😀 jumps over the lazy dog\n"
                      for i in range(4000))
    request = CompletionRequest(prompt="summarise the context", system_prompt="Be terse.", context=context)
    assert len(cli_prompt(request).encode()) > 300 * 1024
    result = await cli(name, record).complete(request)
    (run,) = runs(record)
    assert run["prompt"] == cli_prompt(request)
    assert result.text.startswith(f"{name} fake answer to: <instructions> Be terse.")


@pytest.mark.parametrize("name", ["codex", "gemini", "claude"])
async def test_a_prompt_that_looks_like_an_option_is_not_read_as_one(record, name):
    result = await cli(name, record).complete(CompletionRequest(prompt="--help is broken"))
    assert result.text.endswith("--help is broken")
    assert runs(record)[0]["prompt"] == "--help is broken"


def test_a_gemini_command_ending_in_p_does_not_leave_it_waiting_for_a_prompt_argument():
    base = ("gemini", "--output-format", "json", "-p")
    assert GEMINI.build_argv(base, "gemini-2.5-pro") == ["gemini", "--output-format", "json", "--model=gemini-2.5-pro"]


async def test_a_prompt_over_what_a_cli_is_given_is_refused_without_running_it(record):
    # Gemini cuts its input at 8 MiB (the task, at the end, would be lost); claude refuses over 10 MiB.
    with pytest.raises(PromptTooLongForCli, match=r"gemini CLI: the prompt is 8,388,609 bytes; a CLI is "
                                                   r"given at most 8,388,608 \(8 MiB\) on its stdin"):
        await cli("gemini", record).complete(CompletionRequest(prompt="x" * (8 * 2**20 + 1)))
    assert not record.exists()


async def test_codex_usage_limit_gives_reset_time(record):
    reset = whole_minute_ahead(2)
    with pytest.raises(QuotaExhausted) as caught:
        await cli("codex", record, FAKE_CODEX_MODE="usage_limit", FAKE_CLI_RESET_EPOCH=str(reset)).complete(
            CompletionRequest(prompt="x"))
    assert caught.value.resets_at == reset
    assert "codex subscription limit reached; resets at" in str(caught.value)


@pytest.mark.parametrize("style", ["text", "epoch"])
async def test_claude_usage_limit_gives_reset_time(record, style):
    reset = whole_minute_ahead(3)
    adapter = cli("claude", record, FAKE_CLI_MODE="usage_limit", FAKE_CLI_RESET_EPOCH=str(reset),
                  FAKE_CLAUDE_LIMIT_STYLE=style)
    with pytest.raises(QuotaExhausted) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    assert caught.value.resets_at == reset


async def test_gemini_daily_quota_resets_at_midnight_pacific(record):
    before = time.time()
    with pytest.raises(QuotaExhausted) as caught:
        await cli("gemini", record, FAKE_GEMINI_MODE="usage_limit").complete(CompletionRequest(prompt="x"))
    reset = datetime.fromtimestamp(caught.value.resets_at, ZoneInfo("America/Los_Angeles"))
    assert (reset.hour, reset.minute) == (0, 0)
    assert 0 < caught.value.resets_at - before <= 25 * 3600


@pytest.mark.parametrize(
    ("name", "mode", "error", "retry_after"),
    [
        ("codex", "rate_limit", RateLimited, None),
        ("gemini", "rate_limit", RateLimited, 12.5),
        ("claude", "rate_limit", RateLimited, None),
        ("codex", "fail", ProviderUnavailable, None),
        ("gemini", "fail", ProviderUnavailable, None),
        ("claude", "fail", ProviderUnavailable, None),
        ("codex", "auth", AuthFailed, None),
        ("gemini", "auth", AuthFailed, None),
        ("claude", "auth", AuthFailed, None),
        ("codex", "garbage", CliOutputUnreadable, None),
        ("gemini", "garbage", CliOutputUnreadable, None),
        ("claude", "garbage", CliOutputUnreadable, None),
    ],
)
async def test_failures_map_to_errors(record, name, mode, error, retry_after):
    with pytest.raises(error) as caught:
        await cli(name, record, FAKE_CLI_MODE=mode).complete(CompletionRequest(prompt="x"))
    assert type(caught.value) is error
    assert caught.value.provider == name
    if error is RateLimited:
        assert caught.value.retry_after == retry_after
    assert str(caught.value).startswith(name)


async def test_timeout_kills_the_cli(record, tmp_path):
    pidfile = tmp_path / "pid"
    adapter = cli("claude", record, timeout=0.5, FAKE_CLI_LATENCY="30", FAKE_CLI_PIDFILE=str(pidfile))
    with pytest.raises(ProviderUnavailable, match="claude CLI timed out after 500ms"):
        await adapter.complete(CompletionRequest(prompt="x"))
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not record.exists()  # killed before it could answer


@pytest.mark.parametrize(("name", "mode"), [("codex", "ok"), ("gemini", "ok"), ("claude", "ok"),
                                           ("codex", "usage_limit"), ("claude", "usage_limit")])
async def test_a_cli_that_hangs_after_printing_its_result_is_read_at_the_timeout(record, tmp_path, name, mode):
    # claude -p is known to print its result and then not exit (anthropics/claude-code#21099, #31050, #59390):
    # the answer, paid for, was dropped as a timeout and the task retried (paid again), and a usage limit it
    # printed was retried instead of held until its reset. The CLI is still killed at the timeout.
    pidfile = tmp_path / "pid"
    adapter = cli(name, record, timeout=2.0, FAKE_CLI_HANG="60", FAKE_CLI_PIDFILE=str(pidfile), FAKE_CLI_MODE=mode)
    request = CompletionRequest(prompt="plan the migration")
    if mode == "usage_limit":
        with pytest.raises(QuotaExhausted):
            await adapter.complete(request)
    else:
        result = await adapter.complete(request)
        assert result.text == f"{name} fake answer to: plan the migration"
        assert result.input_tokens > 0 and not result.usage_estimated
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)


async def test_request_timeout_overrides_the_default(record):
    adapter = cli("codex", record, timeout=60, FAKE_CLI_LATENCY="30")
    with pytest.raises(ProviderUnavailable, match="timed out after 300ms"):
        await adapter.complete(CompletionRequest(prompt="x", timeout=0.3))


async def test_missing_executable_is_not_configured(tmp_path):
    adapter = CliAdapter(provider="codex", command=(str(tmp_path / "codex"), "exec", "--json"), dialect=CODEX,
                         clock=SystemClock())
    with pytest.raises(NotConfigured, match=r"codex CLI not found .* or set providers\.codex\.cli_command"):
        await adapter.complete(CompletionRequest(prompt="x"))


@pytest.mark.parametrize("kind", ["file", "directory"])
async def test_a_cli_without_execute_permission_says_what_to_do(tmp_path, kind):
    # Before: only "codex CLI '…/codex' is not executable", with nothing on what to change.
    path = tmp_path / "codex"
    if kind == "file":
        path.write_text("#!/bin/sh\necho hi\n")
        path.chmod(0o644)
    else:
        path.mkdir()
    adapter = CliAdapter(provider="codex", command=(str(path), "exec", "--json"), dialect=CODEX, clock=SystemClock())
    with pytest.raises(NotConfigured, match=r"is not executable.*chmod \+x.*providers\.codex\.cli_command"):
        await adapter.complete(CompletionRequest(prompt="x"))


async def test_empty_command_is_not_configured():
    with pytest.raises(NotConfigured, match="cli_command is empty"):
        CliAdapter(provider="codex", command=(), dialect=CODEX, clock=SystemClock())


async def test_probe_runs_a_short_prompt(record):
    await cli("gemini", record).probe()
    assert runs(record)[0]["prompt"] == PROBE_PROMPT
    with pytest.raises(ProviderUnavailable):
        await cli("gemini", record, FAKE_CLI_MODE="fail").probe()


async def test_fake_clis_run_from_path_via_their_shebang(record):
    environ = {**os.environ, "PATH": f"{FAKE_BIN}{os.pathsep}{os.environ['PATH']}", "FAKE_CLI_RECORD": str(record)}
    adapter = CliAdapter(provider="claude", command=("claude", *COMMANDS["claude"]), dialect=CLAUDE,
                         clock=SystemClock(), environ=environ)
    result = await adapter.complete(CompletionRequest(prompt="hello"))
    assert result.text == "claude fake answer to: hello"


async def test_cancelling_the_call_kills_the_cli(record, tmp_path):
    pidfile = tmp_path / "pid"
    adapter = cli("codex", record, FAKE_CLI_LATENCY="30", FAKE_CLI_PIDFILE=str(pidfile))
    with anyio.move_on_after(0.5) as scope:
        await adapter.complete(CompletionRequest(prompt="x"))
    assert scope.cancelled_caught
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)


@pytest.mark.parametrize("name", ["codex", "gemini", "claude"])
async def test_half_an_emoji_is_passed_as_a_replacement_character_and_a_nul_as_itself(record, name):
    # Half an emoji has no UTF-8 form (UnicodeEncodeError before starting the CLI); a NUL, which no argument
    # can hold, passes on stdin as it does to the providers' APIs.
    result = await cli(name, record).complete(CompletionRequest(prompt="a\x00b and cut \ud83d"))
    assert result.text.endswith("a\x00b and cut \ufffd")
    assert runs(record)[0]["prompt"] == "a\x00b and cut \ufffd"
