"""A CLI that cannot run as set up here (a folder it does not trust, not signed in, an odd model name) says what
to change, and is not retried as an outage. Against the fake CLIs in tests/fakes/bin."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_core.errors import AuthFailed, NotConfigured, ProviderUnavailable
from router_core.providers import CompletionRequest
from router_core.providers.cli import CliRun
from router_core.providers.cli_gemini import parse as parse_gemini
from tests.providers.test_cli import cli, runs
from tests.providers.test_cli_parsing import ctx

pytestmark = pytest.mark.slow


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "runs.jsonl"


async def test_gemini_in_a_folder_it_does_not_trust_says_how_to_trust_it(record, tmp_path):
    # gemini 0.61.0 headless in a folder never trusted (folder trust is on by default) exits 55 before any model
    # call, its message in red on stderr. It was a ProviderUnavailable: retried, counted towards gemini's outage
    # circuit, and the message carried the terminal's colour codes.
    adapter = cli("gemini", record, FAKE_GEMINI_MODE="untrusted")
    adapter._cwd = str(tmp_path)
    with pytest.raises(NotConfigured) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    said = str(caught.value)
    assert said.startswith(f"gemini CLI will not run in {tmp_path}, a folder Gemini CLI has not been told to trust")
    assert "GEMINI_CLI_TRUST_WORKSPACE=true" in said and "providers.gemini.backend" in said
    assert runs(record)[0]["exit"] == 55


def test_a_cli_message_in_colour_reads_without_the_terminal_codes():
    # gemini prints a fatal error in red; the codes went into the task's error and the audit log.
    run = CliRun(1, "", "\x1b[31mSomething broke.\x1b[0m\n")
    with pytest.raises(ProviderUnavailable) as caught:
        parse_gemini(run, ctx("gemini"))
    assert str(caught.value) == "gemini CLI failed (exit 1): Something broke."


async def test_gemini_in_a_folder_the_user_trusts_answers(record):
    adapter = cli("gemini", record, FAKE_GEMINI_MODE="untrusted", GEMINI_CLI_TRUST_WORKSPACE="true")
    assert (await adapter.complete(CompletionRequest(prompt="x"))).text == "gemini fake answer to: x"


async def test_codex_outside_a_git_repository_without_skip_git_repo_check_says_to_add_it(record, tmp_path):
    # A cli_command of the user's own without --skip-git-repo-check, Switchboard started outside a git
    # repository: codex exits 1 before any model call. It was retried as an outage.
    adapter = cli("codex", record)
    adapter.command = tuple(a for a in adapter.command if a != "--skip-git-repo-check")
    adapter._cwd = str(tmp_path)
    with pytest.raises(NotConfigured, match=rf"codex CLI will not run in {tmp_path}, which is not in a git "
                                            r"repository codex trusts \(exit 1\): give providers\.codex\.cli_command "
                                            "--skip-git-repo-check"):
        await adapter.complete(CompletionRequest(prompt="x"))
    assert (await cli("codex", record).complete(CompletionRequest(prompt="x"))).text == "codex fake answer to: x"


@pytest.mark.parametrize("name", ["codex", "gemini", "claude"])
async def test_a_model_name_starting_with_a_dash_reaches_the_cli_as_the_model(record, name):
    # A project file's model list may name one so: as "-m NAME" codex (clap) and gemini (yargs) read it as an
    # option and stopped (exit 2, exit 1), an outage retried and counted; "--model=NAME" is one argument.
    result = await cli(name, record, model="-preview").complete(CompletionRequest(prompt="x"))
    assert result.text == f"{name} fake answer to: x"
    assert "--model=-preview" in runs(record)[0]["argv"]
    if name == "gemini":
        assert result.model == "-preview"


@pytest.mark.parametrize(("name", "what_to_do"), [
    ("codex", "Sign codex in as the user Switchboard runs as (codex login), or give it an API key (CODEX_API_KEY in "
              "Switchboard's environment)"),
    ("gemini", "Sign gemini in as the user Switchboard runs as (run gemini once and choose how), or give it an API "
               "key (GEMINI_API_KEY in Switchboard's environment)"),
    ("claude", "Sign Claude Code in as the user Switchboard runs as (run claude, then /login)"),
])
async def test_a_cli_that_is_not_signed_in_says_how_to_sign_it_in(record, name, what_to_do):
    # Each CLI's own output with no login (claude 2.1.197 and gemini 0.61.0 run here with an empty HOME; codex's
    # 401 from openai/codex#31249). codex's said only "unexpected status 401 Unauthorized: Missing bearer…", and
    # claude's "/login" named a command of its interactive session.
    with pytest.raises(AuthFailed) as caught:
        await cli(name, record, FAKE_CLI_MODE="signed_out").complete(CompletionRequest(prompt="x"))
    assert str(caught.value).startswith(f"{name} CLI is not authorised: ")
    assert str(caught.value).endswith(". " + what_to_do)


async def test_a_gemini_sign_in_failure_in_other_words_is_still_one(record):
    # Exit 41 is gemini's FatalAuthenticationError; "Invalid auth method selected." (0.61.0, a key in the
    # environment but no auth type chosen) named no sign-in word, so it was an outage: retried and counted.
    with pytest.raises(AuthFailed, match=r"Invalid auth method selected\. Sign gemini in"):
        await cli("gemini", record, FAKE_CLI_MODE="no_auth_type").complete(CompletionRequest(prompt="x"))


@pytest.mark.parametrize(("name", "option", "said"), [
    ("codex", "--json", "error: unexpected argument '--json' found"),
    ("gemini", "--output-format", "Unknown argument: output-format"),
    ("claude", "--output-format", "error: unknown option '--output-format'"),
])
async def test_a_cli_that_refuses_its_arguments_says_to_update_it_or_fix_the_command(record, name, option, said):
    # An older CLI without an option the command gives it (or a cli_command of the user's own naming one it does
    # not have) stops in its argument parser, before any model call, every time. It was an outage: each task
    # tried it max_retries times, then every process held the provider for an outage probe interval, said as
    # "parked ... capacity returns in 5m00s" (seen by hand with such a claude on PATH).
    with pytest.raises(NotConfigured) as caught:
        await cli(name, record, **{f"FAKE_{name.upper()}_REFUSES": option}).complete(CompletionRequest(prompt="x"))
    message = str(caught.value)
    assert message.startswith(f"{name} CLI refused its command line ({said}")
    assert f"providers.{name}.cli_command" in message and "update" in message
