"""`switchboard run` says why a task that succeeded left the providers before the one that answered."""

from __future__ import annotations

from server.cli import main
from tests.execution.test_cli import shell, use_fake  # noqa: F401  (the fixture)
from tests.fakes.fake_provider import Fault


def test_run_that_fell_back_says_why_each_earlier_provider_failed(shell, monkeypatch, capsys):  # noqa: F811
    # Before, codex's 401 went unsaid: the user saw only "[claude ... path codex -> claude]", so a wrong
    # OPENAI_API_KEY made every codex task fall back without a word, paying a round trip each time.
    use_fake(monkeypatch, shell)
    shell.script("codex", [Fault.auth()])
    assert main(["run", "Implement a JWT login endpoint in Flask"]) == 0
    out, err = capsys.readouterr()
    assert "path codex -> " in err
    assert "fell back from codex: rejected the credentials (401)" in err  # "codex: auth_failed: codex rejected" before
    assert "OPENAI_API_KEY" in err  # what to check


def test_run_on_its_first_provider_prints_no_failure(shell, monkeypatch, capsys):  # noqa: F811
    use_fake(monkeypatch, shell)
    assert main(["run", "Implement a JWT login endpoint in Flask"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "path codex]" in err


def test_batch_without_a_backend_says_what_to_set_on_stderr(shell, monkeypatch, capsys):  # noqa: F811
    # With stdout sent to a file (`switchboard batch < tasks.json > results.json`), the user saw only
    # "1/1 task-0: not_configured" and exit 1: what to set was in the JSON's warnings alone. `run` says it on stderr.
    import io
    import json

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(["Implement the CSV export endpoint"])))
    assert main(["batch"]) == 1
    out, err = capsys.readouterr()
    assert any("OPENAI_API_KEY" in w for w in json.loads(out)["warnings"])  # as before
    assert "OPENAI_API_KEY" in err
    assert "0 of 1 tasks succeeded" in err


def test_run_routed_off_its_primary_says_why(shell, monkeypatch, capsys, tmp_path):  # noqa: F811
    # With codex given no allocation, "Implement a JWT login endpoint" went to another provider and `run` said only
    # "[gemini ... path gemini]": nothing said why its primary, codex, was passed over (the reason was in --json alone).
    use_fake(monkeypatch, shell)
    (tmp_path / "config.toml").write_text('classifier = "keywords"\n[budget.allocation]\ncodex = 0\n')
    assert main(["run", "Implement a JWT login endpoint in Flask"]) == 0
    err = capsys.readouterr().err
    assert "path codex" not in err
    assert "switchboard: routed to " in err and ", not codex (its primary): " in err
    assert "codex has no allocation (budget.allocation.codex = 0)" in err
    assert main(["run", "Implement a JWT login endpoint in Flask", "--route-only"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("routed to ") and "codex has no allocation" in err


def test_run_forced_to_a_provider_says_no_routing_reason(shell, monkeypatch, capsys):  # noqa: F811
    # --provider is the user's choice: no "routed to gemini, not codex" line explains it back to them.
    use_fake(monkeypatch, shell)
    assert main(["run", "Implement a JWT login endpoint in Flask", "--provider", "gemini"]) == 0
    err = capsys.readouterr().err
    assert "path gemini]" in err
    assert "routed to" not in err
