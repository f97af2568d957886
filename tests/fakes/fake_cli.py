"""Shared behaviour of the fake coding CLIs in tests/fakes/bin (codex, gemini, claude).

Each is told what to do by environment variables; ``NAME`` is the CLI's name in capitals, and the per-CLI
variable wins over the shared one:

    FAKE_NAME_MODE / FAKE_CLI_MODE            ok (default) | usage_limit | rate_limit | fail | auth | signed_out | garbage |
                                              no_stats, no_auth_type (gemini)
    FAKE_NAME_LATENCY / FAKE_CLI_LATENCY      seconds to sleep before answering
    FAKE_NAME_HANG / FAKE_CLI_HANG            seconds to sleep after printing, before exiting (a CLI that hangs)
    FAKE_CODEX_MODE=offline                   codex 0.169.0 with no network, as captured (fakes/bin/codex): reconnects,
                                              then "waiting for network" every FAKE_CODEX_RETRY_SECONDS (0.2) for
                                              FAKE_CODEX_OFFLINE_SECONDS (600), then a last line; offline_mid_turn:
                                              the same after a step of the turn answered; reconnect: one "waiting for
                                              network", then the answer
    FAKE_GEMINI_MODE=offline                  gemini 0.61.0 with no network, as captured (fakes/bin/gemini): its
                                              retries on stderr every FAKE_GEMINI_RETRY_SECONDS (0.2), then its
                                              error and exit 1, as the real one after 286 s
    FAKE_NAME_RESET_EPOCH / FAKE_CLI_RESET_EPOCH  when a usage limit resets (default: now + 3 hours)
    FAKE_NAME_TEXT / FAKE_CLI_TEXT            the answer (default: "<name> fake answer to: <prompt>")
    FAKE_CLI_RECORD                           a file to append one JSON line per run: argv, prompt, output
    FAKE_CLI_PIDFILE                          a file to write the CLI's process id to when it starts
    FAKE_CLAUDE_LIMIT_STYLE                   text (default, "You've hit your limit · resets 3pm (UTC)") | epoch |
                                              reached ("Weekly limit reached · resets 3pm (UTC) · …", status 429)
    FAKE_GEMINI_MODE=untrusted                a folder gemini has not been told to trust: exit 55, unless
                                              GEMINI_CLI_TRUST_WORKSPACE=true or --skip-trust (as gemini 0.61.0)
    FAKE_NAME_REFUSES / FAKE_CLI_REFUSES      an option the CLI does not know (an older version's), refused in its
                                              argument parser's words before anything runs: clap (codex, exit 2),
                                              commander (claude, exit 1), yargs (gemini, exit 1)
    FAKE_GEMINI_MODE=capacity_reset           "You have exhausted your capacity … reset after 3h0m0s" (the wait:
                                              FAKE_GEMINI_RESET_AFTER, seconds)

The fake codex, as ``codex exec``, refuses to run outside a git repository without ``--skip-git-repo-check``.
Output formats follow provider-apis.md section 5 (5.1 claude, 5.2 codex, 5.3 gemini). Each reads its prompt
from argv and piped stdin as the real CLI does (see router_core/providers/cli_*.py), without the real CLIs'
waits for stdin data; ``prompt`` is what the real one would send to its model, and is recorded.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time


class FakeCli:
    def __init__(self, name: str) -> None:
        self.name = name
        self.argv = sys.argv[1:]
        self.mode = self.setting("MODE", "ok")
        self.reset_epoch = float(self.setting("RESET_EPOCH", str(time.time() + 3 * 3600)))
        self.prompt = ""
        self.stdout: list[str] = []
        self.printed = {False: 0, True: 0}  # lines of stdout, stderr already written (``now``)
        self.stderr: list[str] = []
        pidfile = os.environ.get("FAKE_CLI_PIDFILE")
        if pidfile:
            with open(pidfile, "w", encoding="utf-8") as f:
                f.write(str(os.getpid()))

    def refused(self) -> str | None:
        """The option of argv that FAKE_NAME_REFUSES names (``--x`` or ``--x=value``), if any."""
        option = self.setting("REFUSES", "")
        return next((a for a in self.argv if option and (a == option or a.startswith(option + "="))), None)

    def setting(self, key: str, default: str) -> str:
        return os.environ.get(f"FAKE_{self.name.upper()}_{key}") or os.environ.get(f"FAKE_CLI_{key}") or default

    @staticmethod
    def piped() -> str | None:
        """All of stdin as UTF-8 text, or None when it is a terminal (then the real CLIs do not read it)."""
        if sys.stdin is None or sys.stdin.isatty():
            return None
        return sys.stdin.buffer.read().decode("utf-8")

    def wait(self) -> None:
        latency = float(self.setting("LATENCY", "0"))
        if latency:
            time.sleep(latency)

    def answer(self, prompt: str) -> str:
        default = f"{self.name} fake answer to: {' '.join(prompt.split())[:80]}"
        return self.setting("TEXT", default)

    @staticmethod
    def tokens(text: str) -> int:
        return math.ceil(len(text) / 4)

    def out(self, text: str) -> None:
        self.stdout.append(text)

    def now(self, text: str, *, err: bool = False) -> None:
        """A line on stdout (stderr) at once, after those before it (``out`` and ``err`` lines go at ``finish``):
        a CLI still running, printing as it goes."""
        lines, stream = (self.stderr, sys.stderr) if err else (self.stdout, sys.stdout)
        lines.append(text)
        stream.write("".join(line + "\n" for line in lines[self.printed[err] :]))
        stream.flush()
        self.printed[err] = len(lines)

    def err(self, text: str) -> None:
        self.stderr.append(text)

    def finish(self, code: int) -> None:
        """Write what was produced, record the run, exit with ``code``."""
        sys.stdout.write("".join(line + "\n" for line in self.stdout[self.printed[False] :]))
        sys.stderr.write("".join(line + "\n" for line in self.stderr[self.printed[True] :]))
        record = os.environ.get("FAKE_CLI_RECORD")
        if record:
            with open(record, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "cli": self.name, "argv": self.argv, "prompt": self.prompt, "exit": code,
                    "stdout": "\n".join(self.stdout), "stderr": "\n".join(self.stderr),
                }) + "\n")
        sys.stdout.flush()
        sys.stderr.flush()
        hang = float(self.setting("HANG", "0"))
        if hang:
            time.sleep(hang)
        raise SystemExit(code)


def option_value(argv: list[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg in names and i + 1 < len(argv):
            return argv[i + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def option_without_value(argv: list[str], *names: str) -> str | None:
    """The first of ``names`` followed by no argument or by one that looks like an option: what clap (codex) and
    yargs with ``nargs: 1`` (gemini) refuse, as they do not take "-x" as a value (``--model=-x`` they do)."""
    for i, arg in enumerate(argv):
        if arg in names and (i + 1 == len(argv) or argv[i + 1].startswith("-")):
            return arg
    return None


def positionals(argv: list[str], takes_value: set[str]) -> list[str]:
    """Arguments that are not options (everything after ``--`` counts)."""
    found, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--":
            return found + argv[i + 1 :]
        if arg in takes_value:
            skip = True
        elif not arg.startswith("-"):
            found.append(arg)
    return found


def local_time(epoch: float, fmt: str) -> str:
    return time.strftime(fmt, time.localtime(epoch))

