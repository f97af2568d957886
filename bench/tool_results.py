"""What each tool's result costs the host's context window, against the same result with every field.

    .venv/bin/python bench/tool_results.py [--mode legacy|auto] [--json]

Every tool is called through the SDK's in-process Client (legacy handshake by default, as Claude Code, Codex
and Gemini CLI speak it), with typical inputs, on a fresh state directory and the keyword classifier (the
routing is the same on every run); dispatch_agent and run_batch execute against the fake provider server
(tests/fakes), in-process, on the real clock.

For each call it prints:
  - sent: what the host's model reads, in characters and tokens. Claude Code and Codex give the model the
    structuredContent as compact JSON, Gemini CLI the text block (checked with Claude Code 2.1.197, Codex
    0.169.0, Gemini CLI 0.61.0); a model reads one of them, never both. The bench checks that the text block
    holds exactly the structuredContent as compact JSON (column "same"), so its length serves all three;
  - full: the same result with every field of its output model (``model_dump(mode="json")``, compact), which
    is what the tools sent before fields at their default were left out, and what the CLI's --json prints;
  - ratio: sent / full, from the two in the same run (the project's convention: a ratio, not a bare size);
  - sdk: the text block the SDK makes by default (structured_output=True: the full dump indented by 2),
    for reference: what Gemini CLI's model would read from a plain MCPServer tool;
  - wire: both channels together (text + structuredContent), what travels but no model reads twice.
Tokens are o200k_base via bpe-openai when installed, else characters / 4 (labelled). Sizes are deterministic
but for ids, timestamps and the answers' token counts, which vary by a few characters between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from pydantic_core import to_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_settings  # noqa: E402
from router_core.classifier.keywords import KeywordClassifier  # noqa: E402
from router_core.core import RouterCore  # noqa: E402
from server.app import create_server  # noqa: E402
from tests.execution.fakes import KEYS, fake_environ, fake_server  # noqa: E402
from tests.fakes.fake_script import Fault  # noqa: E402
from tools.registry import TOOLS, output_model  # noqa: E402

TASKS = [
    "Implement a CSV export endpoint for the reports API", "Explain how the OAuth2 authorization code flow works",
    "Design the architecture for a distributed ingest pipeline", "Fix the bug in the data loader that drops rows",
    "Analyze the error logs and document the findings",
]
MODELS = {fn.__name__: output_model(fn) for fn, _ in TOOLS}
ENV_VARS = [v for pair in KEYS.values() for v in pair] + ["GOOGLE_API_KEY"]


def counter() -> tuple[Callable[[str], int], str]:
    try:
        import bpe_openai

        enc = bpe_openai.get_encoding("o200k_base")
        return (lambda text: len(enc.encode(text))), "o200k tokens"
    except ImportError:
        return (lambda text: len(text) // 4), "tokens (chars/4; pip install bpe-openai for exact)"


def compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def batch(n: int) -> list[dict[str, str]]:
    return [{"task": TASKS[i % len(TASKS)] + ("" if i < len(TASKS) else f" (part {i})")} for i in range(n)]


# (label, tool, arguments, setup before the call: fake -> None)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("classify_task", "classify_task", {"task": TASKS[2]}),
    ("recommend_provider", "recommend_provider", {"task": TASKS[2], "repo": "hub"}),
    ("dispatch_agent route only", "dispatch_agent", {"task": TASKS[0], "execute": False}),
    ("dispatch_agent run", "dispatch_agent", {"task": TASKS[0], "context": "Flask 3, app/reports.py"}),
    ("dispatch_agent fallback", "dispatch_agent", {"task": TASKS[3]}),  # codex answers 429 quota: gemini runs it
    ("run_batch dry 5", "run_batch", {"tasks": batch(5)}),
    ("run_batch dry 50", "run_batch", {"tasks": batch(50)}),
    ("run_batch run 5", "run_batch", {"tasks": batch(5), "dry_run": False}),
    ("get_budget", "get_budget", {}),
    ("record_usage", "record_usage", {"provider": "gemini", "requests": 90, "tokens": 1000}),
    ("recommend_provider blocked", "recommend_provider", {"task": TASKS[1]}),  # gemini blocked by record_usage
    ("record_feedback", "record_feedback", {"task": TASKS[1], "routed_provider": "gemini",
                                            "correct_provider": "claude"}),
    ("error: bad argument", "dispatch_agent", {"task": TASKS[0], "provider": "mistral"}),
]
UNCONFIGURED = [
    ("dispatch_agent no backend", "dispatch_agent", {"task": TASKS[0]}),
    ("run_batch run 5 no backend", "run_batch", {"tasks": batch(5), "dry_run": False}),
    ("run_batch run 50 no backend", "run_batch", {"tasks": batch(50), "dry_run": False}),
]


def measure(tool: str, label: str, result: Any, count: Callable[[str], int]) -> dict[str, Any]:
    text = "".join(b.text for b in result.content if b.type == "text")
    row: dict[str, Any] = {"case": label, "tool": tool, "error": result.is_error}
    if result.structured_content is None:  # an error: text only
        row.update(sent=len(text), tokens=count(text), full=len(text), sdk=len(text), wire=len(text), same=None)
        return row
    structured = result.structured_content
    full_data = MODELS[tool].model_validate(structured).model_dump(mode="json")
    full = to_json(full_data).decode()  # compact, as the tools wrote it (and as JSON.stringify writes floats)
    sdk = json.dumps(full_data, indent=2, ensure_ascii=False)
    row.update(sent=len(text), tokens=count(text), full=len(full), full_tokens=count(full), sdk=len(sdk),
               wire=len(text) + len(compact(structured)), same=json.loads(text) == structured)
    return row


async def run_cases(settings, cases, mode: str, count, before: Callable[[str], None]) -> list[dict[str, Any]]:
    core = RouterCore.build(settings, classifier=KeywordClassifier(settings.providers))
    server = create_server(settings, core_factory=lambda: core, live_interval=None)
    rows = []
    async with Client(server, mode=mode) as client:
        for label, tool, args in cases:
            before(label)
            rows.append(measure(tool, label, await client.call_tool(tool, args), count))
    return rows


def settings_in(tmp: Path, environ: dict[str, str]):
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    return load_settings(environ={"HOME": str(home), "SWITCHBOARD_HOME": str(tmp / "state"), **environ}, cwd=tmp)


async def main_async(mode: str) -> tuple[list[dict[str, Any]], str]:
    count, unit = counter()
    saved = {v: os.environ.get(v) for v in [*ENV_VARS, "PATH"]}
    try:
        with tempfile.TemporaryDirectory() as tmp, fake_server() as fake:
            for var in ENV_VARS:
                os.environ.pop(var, None)
            env = fake_environ(fake)
            os.environ.update(env)  # the adapters read the keys and base URLs from the environment

            def before(label: str) -> None:
                if label == "dispatch_agent fallback":
                    fake.script("codex", [Fault.quota()] * 3)

            rows = await run_cases(settings_in(Path(tmp) / "a", env), CASES, mode, count, before)
            for var in ENV_VARS:
                os.environ.pop(var, None)
            os.environ["PATH"] = str(Path(tmp) / "empty")  # no provider CLI either
            rows += await run_cases(settings_in(Path(tmp) / "b", {}), UNCONFIGURED, mode, count, lambda _: None)
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
    return rows, unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["legacy", "auto"], default="legacy")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows, unit = anyio.run(main_async, args.mode)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"tool result sizes in characters ({args.mode} session); tokens: {unit}")
    print(f"{'case':28} {'sent':>6} {'tokens':>6} {'full':>6} {'ratio':>6} {'sdk':>6} {'wire':>6}  same")
    for r in rows:
        ratio = r["sent"] / r["full"] if r["full"] else 1.0
        same = "-" if r["same"] is None else ("yes" if r["same"] else "NO")
        print(f"{r['case']:28} {r['sent']:>6,} {r['tokens']:>6,} {r['full']:>6,} {ratio:>6.2f} {r['sdk']:>6,} "
              f"{r['wire']:>6,}  {same}")
    ok = [r for r in rows if not r["error"]]
    sent, full = sum(r["sent"] for r in ok), sum(r["full"] for r in ok)
    print(f"{'all results (no errors)':28} {sent:>6,} {sum(r['tokens'] for r in ok):>6,} {full:>6,} "
          f"{sent / full:>6.2f}")


if __name__ == "__main__":
    main()
