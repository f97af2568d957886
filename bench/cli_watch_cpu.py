"""CPU time of OutputWatch.feed over a CLI's worth of output, for each dialect's watch.

    .venv/bin/python bench/cli_watch_cpu.py [--mib 64] [--line 'y']

Feeds ``--mib`` MiB of short lines (``--line`` plus a newline, cut into 64 KiB chunks, as anyio reads a pipe)
to each stream in turn, as test_cli_processes.py's output_limit[lines] CLI writes them, and prints the process
CPU seconds feed took (in an event loop, for its CancelScope). No process is started: this is the watch alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from router_core.providers.cli_codex import CODEX  # noqa: E402
from router_core.providers.cli_gemini import GEMINI  # noqa: E402
from router_core.providers.cli_pipes import OutputWatch  # noqa: E402

CHUNK = 65536


def feed_seconds(dialect_watch, stream: str, data: bytes) -> float:
    watch = OutputWatch(dialect_watch(), anyio.CancelScope())
    start = time.process_time()
    for at in range(0, len(data), CHUNK):
        watch.feed(stream, data[at : at + CHUNK])
    assert watch.said is None
    return time.process_time() - start


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--line", default="y")
    args = parser.parse_args()
    line = args.line.encode() + b"\n"
    data = line * (args.mib * 2**20 // len(line))
    for name, dialect in (("codex", CODEX), ("gemini", GEMINI)):
        for stream in ("out", "err"):
            print(f"{name:6} {stream}: {feed_seconds(dialect.watch, stream, data):6.2f} s CPU for {args.mib} MiB "
                  f"of {len(line)}-byte lines")


if __name__ == "__main__":
    anyio.run(main)
