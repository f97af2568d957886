"""`switchboard batch` and `switchboard run` say when tasks wait for room at a provider (pace_notes.py).

Before, a batch paced on a full rate window printed nothing while it waited (up to a minute at the default
window): the bar sat still and the batch looked hung.
"""

from __future__ import annotations

import io
import json

from server.cli import main
from server.commands._notices import ProgressBar
from tests.execution.test_cli import shell, use_fake  # noqa: F401  (the fixture)
from tests.fakes.fake_provider import Fault

WINDOW = 0.6  # seconds: a real window, kept short (the CLI runs on the real clock)


def tight_codex(config) -> None:
    with config.open("a") as f:
        f.write(f"[execution]\nrate_window_seconds = {WINDOW}\n[providers.codex]\nrequests_per_minute = 1\n")


def test_a_batch_paced_on_a_full_window_says_so_once(shell, monkeypatch, capsys, tmp_path):  # noqa: F811
    use_fake(monkeypatch, shell)
    tight_codex(tmp_path / "config.toml")
    tasks = [f"Implement the CSV export endpoint, part {i}" for i in range(4)]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(tasks)))
    monkeypatch.setattr("router_core.execution.pace_notes.NOTICE_SECONDS", WINDOW / 2)
    assert main(["batch", "--parallel", "4"]) == 0
    out, err = capsys.readouterr()
    results = json.loads(out)["results"]
    assert [r["status"] for r in results] == ["success"] * 4 and {r["provider_used"] for r in results} == {"codex"}
    notes = [line for line in err.splitlines() if "for codex" in line]
    assert len(notes) == 1, err  # three tasks waited, one after another: said once
    # (said with "with requests still being answered" if the wait began while the first call was on the wire)
    assert " for codex: its rate window is full (1 request/0.6s)" in notes[0] and notes[0].endswith("Ctrl-C to stop")


def test_run_says_it_waits_out_a_429_before_its_retry(shell, monkeypatch, capsys):  # noqa: F811
    use_fake(monkeypatch, shell)
    shell.script("codex", [Fault.rate_limited(retry_after=1.0)])
    assert main(["run", "--provider", "codex", "Implement a JWT login endpoint in Flask"]) == 0
    err = capsys.readouterr().err
    assert ": waiting 1s for codex: retrying (rate limited (429)" in err
    assert "Ctrl-C to stop" in err


def test_a_paced_notice_clears_the_bar_and_takes_its_own_line():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = ProgressBar(stream)
    bar.paced("t3", "gemini", None, "its rate window is full (9,000 tokens/min),\n with requests still being answered")
    text = stream.getvalue()
    assert text.startswith("\r") and text.endswith("\rt3: waiting for gemini: its rate window is full (9,000 "
                                                   "tokens/min), with requests still being answered; Ctrl-C to stop\n")
