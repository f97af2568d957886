"""The CLI's errors name its flags (--max-cost, --since, --task-type), not the MCP tools' argument names."""

from __future__ import annotations

import pytest

from router_core.errors import InvalidRequest
from router_core.execution.dispatch import check_limits
from server.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("argv", "said", "not_said"), [
    (["run", "fix the bug", "--max-cost", "-1"], "--max-cost must be a positive amount", "max_cost"),
    (["run", "fix the bug", "--max-cost", "nan"], "--max-cost must be a positive amount", "max_cost"),
    (["audit", "--since", "last week"], "--since must be an ISO date", "InvalidRequest: since"),
    (["feedback", "fix the bug", "--routed", "codex", "--correct", "claude", "--task-type", "debugging"],
     "--task-type for claude must be one of", "task_type"),
])
def test_errors_name_the_flag(cli_env, capsys, argv, said, not_said):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert said in err and not_said not in err


def test_a_context_file_past_the_limit_is_named_as_such(cli_env, capsys):
    (cli_env / "ctx.txt").write_text("a" * 400_001)
    code, _, err = run(capsys, "run", "fix the bug", "--context-file", "ctx.txt")
    assert code == 2 and "the text of --context-file is 400,001 characters" in err


def test_the_tools_keep_their_argument_names():
    with pytest.raises(InvalidRequest, match="^max_cost must be"):
        check_limits(-1, None)
