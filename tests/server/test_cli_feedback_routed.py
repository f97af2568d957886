"""`switchboard feedback` refuses a --routed provider Switchboard does not route the task to, and learns nothing."""

from __future__ import annotations

import json

import pytest

from server.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def trained(cli_env):
    (cli_env / ".switchboard.toml").write_text('classifier = "trained"\n')
    return cli_env


def routed(capsys, text: str) -> tuple[str, str]:
    c = json.loads(run(capsys, "classify", text)[1])
    return c["primary_provider"], c["task_type"]


def test_a_false_confirmation_is_refused_with_the_correction_to_record_instead(trained, capsys):
    # QA: accepted as "confirmation learned", after which "explain the login flow" went to codex/code_generation.
    assert routed(capsys, "explain the login flow") == ("gemini", "explanation")
    code, out, err = run(capsys, "feedback", "explain the auth flow", "--routed", "codex", "--correct", "codex")
    assert (code, out) == (2, "")
    assert "Switchboard routes this task to gemini/explanation, not to codex" in err
    assert "record a correction: --routed gemini --correct codex. Nothing was recorded." in err
    assert routed(capsys, "explain the login flow") == ("gemini", "explanation")
    assert run(capsys, "feedback", "list", "--json")[1].strip() == "[]"

    code, out, _ = run(capsys, "feedback", "explain the auth flow", "--routed", "gemini", "--correct", "codex")
    assert code == 0 and json.loads(out)["learned"] is True  # the correction it names
    assert routed(capsys, "explain the login flow")[0] == "codex"


def test_the_help_says_what_routed_must_be(cli_env, capsys):
    with pytest.raises(SystemExit):
        main(["feedback", "x", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "the provider Switchboard routes the task to (`switchboard classify` shows it); another is refused" in out
