"""The fake provider server in a process of its own (its CPU is not the client's), for benches and tests.

    python -m tests.execution.fake_process [--latency codex=0.2] [--rpm codex=60] [--tpm ...] [--window 60]
                                           [--output-tokens codex=20]

Prints one JSON line ({"root", "base_urls", "pid"}) when it is listening, then serves until stdin closes
or it is terminated (``spawn`` does both).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.execution.fakes import fake_server
from tests.fakes.fake_limits import Limits

PROVIDERS = ("codex", "gemini", "claude")
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def spawn(*args: str) -> Iterator[dict]:
    """Run the fake in a child process; yields its JSON line (root, base_urls, pid); stops it on exit."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.execution.fake_process", *args], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stats(root: str) -> dict:
    """The fake's counters per provider (GET /_fake/stats)."""
    import httpx

    return httpx.get(f"{root}/_fake/stats", timeout=10).json()


def _pairs(values: list[str], cast):
    return {name: cast(value) for name, value in (v.split("=", 1) for v in values)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", action="append", default=[], metavar="NAME=SECONDS")
    parser.add_argument("--rpm", action="append", default=[], metavar="NAME=N")
    parser.add_argument("--tpm", action="append", default=[], metavar="NAME=N")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--output-tokens", action="append", default=[], metavar="NAME=N")
    args = parser.parse_args(argv)
    rpm, tpm = _pairs(args.rpm, int), _pairs(args.tpm, int)
    limits = {n: Limits(rpm.get(n), tpm.get(n), args.window) for n in {*rpm, *tpm}}
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with fake_server(latency=_pairs(args.latency, float), limits=limits,
                     output_tokens=_pairs(args.output_tokens, int)) as fake:
        urls = {name: fake.base_url(name) for name in PROVIDERS}
        print(json.dumps({"root": fake.root_url, "base_urls": urls, "pid": os.getpid()}), flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()


if __name__ == "__main__":
    main()
