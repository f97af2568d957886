"""CPU of a `switchboard` command that reads and prints, from spawn to exit, as a ratio to the interpreter's own start.

    .venv/bin/python bench/cli_startup.py [--runs 7]

Each command runs in a fresh process on an empty state dir (a scratch HOME), as a user typing it would, and its CPU
(user + system, from the child's rusage) is compared with ``python -c pass`` started the same way in the same run;
the commands and the baseline alternate, so load from other processes falls on all of them. Every Claude Code user
meets this figure on each `switchboard budget` or `switchboard classify` they type.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -c pass (baseline)": ["-c", "pass"],
    "switchboard budget": ["-m", "server.cli", "budget"],
    "switchboard classify TEXT": ["-m", "server.cli", "classify", "Fix the off-by-one bug in the pagination helper"],
    "switchboard --help": ["-m", "server.cli", "--help"],
}


def cpu_of(argv: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *argv], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "SWITCHBOARD_HOME": os.path.join(home, "state"),
               "PYTHONPATH": str(ROOT)}
        env.pop("SWITCHBOARD_CONFIG", None)
        for argv in COMMANDS.values():  # warm-up: .pyc files written, the state dir made
            cpu_of(argv, env)
        samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):
            for name, argv in COMMANDS.items():
                samples[name].append(cpu_of(argv, env))
    base = statistics.median(samples["python -c pass (baseline)"])
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:28} {median * 1e3:7.0f} ms CPU (median of {args.runs}), {median / base:5.1f}x the baseline")


if __name__ == "__main__":
    main()
