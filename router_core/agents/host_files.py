"""Claude Code subagent files (`.claude/agents/*.md`) as pool agents.

A file is YAML front matter between `---` lines (name, description, tools, model) and then the
prompt. Only the simple subset those files use is parsed here (no YAML dependency): `key: value`,
quoted strings, `[a, b]` / `a, b` / `- item` lists, `|` and `>` blocks. Task types come from a
keyword table over the name, description and prompt; a host agent suits every provider, the ones
its task types prefer first. Bad files are reported as problems, never raised: a file that is not a
regular file, is over MAX_FILE_BYTES, is not UTF-8, has malformed front matter, has no prompt, or names
an agent with an id outside SAFE_ID is skipped with a note naming the file. A host agent may replace a built-in agent
of the same id (core.RouterCore.build); that is kept, and noted too.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Collection, Sequence
from pathlib import Path

from router_core.classifier import TASK_TYPE_PROVIDER
from router_core.inputs import surrogates_replaced
from router_core.models import AgentSpec
from router_core.redact import scrubbed

CATEGORY = "host"
MAX_CONCURRENCY = 2
MAX_TASK_TYPES = 3
FALLBACK_TASK_TYPE = "multi_step"  # an agent whose text names no task type: a general helper
PROVIDERS = tuple(dict.fromkeys(TASK_TYPE_PROVIDER.values()))  # codex, gemini, claude

# The body of the file is the agent's system prompt, sent with every task dispatched to it, and the cost
# estimates count only the task. Claude Code's agent files are a few KB (its own examples: 1-5 KB); 64 KiB
# is ~16k tokens of prompt on every call, far past any real one and still small to read at startup.
MAX_FILE_BYTES = 64 * 1024
# A directory of agents holds tens of files. agents_dirs naming a larger tree ("~", a repository root) would read
# every README under it at each start: the walk stops at these, with a problem line saying so.
MAX_AGENT_FILES = 500
MAX_WALKED_DIRS = 1000
# An agent id is shown in agents://pool, in recommendations and in logs, and is a lease key: plain ASCII
# letters, digits, '-', '_' and '.', not starting with '.', so no path parts, escapes or bidi controls.
MAX_ID_CHARS = 64
SAFE_ID = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{MAX_ID_CHARS - 1}}}")
# Removed from the description (shown in agents://pool): C0/C1 controls and bidi embeddings/overrides.
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Regex stems per task type, matched at word starts: "test" hits "tests" and "tester".
TASK_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "code_generation": (
        "implement",
        "generat",
        "scaffold",
        "boilerplate",
        "coder",
        "coding",
        "build",
        "feature",
    ),
    "code_review": ("review", "audit", "lint", "security", "vulnerab", "quality"),
    "refactoring": ("refactor", "cleanup", "clean up", "restructur", "simplif", "moderniz", "dead code"),
    "debugging": (
        "debug",
        "bug",
        "fix",
        "error",
        "crash",
        "failing",
        "stack trace",
        "troubleshoot",
        "incident",
    ),
    "testing": ("test", "coverage", "pytest", "jest", r"qa\b", r"tdd\b"),
    "performance_optimization": (
        "performance",
        "optimi",
        "latency",
        "profil",
        "speed",
        "benchmark",
        "memory",
    ),
    "analysis": ("analy", "inspect", "metric", r"data\b", r"logs\b", "insight"),
    "research": ("research", "investigat", "compar", "evaluat", "survey", "explor"),
    "documentation": ("document", "docs", "readme", "docstring", "changelog", "technical writ"),
    "explanation": ("explain", "teach", "tutor", "onboard", "walkthrough", "clarif"),
    "architecture": ("architect", "system design", "microservice", "scalab", "infrastructure", "distributed"),
    "design": ("design", "schema", r"ui\b", r"ux\b", "interface", "user experience"),
    "planning": ("plan", "roadmap", "strateg", "estimat", "breakdown", "prioriti", "milestone"),
    "multi_step": ("orchestrat", "coordinat", "workflow", "migrat", "end-to-end", "multi-step", "pipeline"),
}
_PATTERNS = {t: re.compile(r"\b(?:" + "|".join(ws) + ")", re.IGNORECASE) for t, ws in TASK_TYPE_WORDS.items()}
# The description is what Claude Code itself routes by, so it outweighs the prompt.
WEIGHTS = (("name", 4), ("description", 3), ("prompt", 1))
MAX_PROMPT_HITS = 2  # per task type, so a long prompt cannot outvote the description

_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:\s+(.*)|\s*)$")


class FrontMatterError(ValueError):
    pass


def default_agent_dirs(project_dir: Path, home: Path) -> list[Path]:
    """The project's agents first, then the user's; the first definition of a name wins."""
    dirs = [project_dir / ".claude" / "agents", home / ".claude" / "agents"]
    return list(dict.fromkeys(dirs))


def load_host_agents(
    dirs: Sequence[Path], builtin_ids: Collection[str] = (), *, configured: Collection[Path] = ()
) -> tuple[list[AgentSpec], list[str]]:
    """Every agent file under ``dirs`` as an AgentSpec, and one problem line per file that was skipped
    or whose agent replaces a built-in one (``builtin_ids``: the built-in pool's ids), and per directory of
    ``configured`` (the configuration's agents_dirs) that does not exist; a default one may well not. The
    caller reports the problems (core.py logs them)."""
    agents: list[AgentSpec] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    # A directory or file reached twice (named again in agents_dirs, through a symlink) is read once: it
    # would otherwise be reported a duplicate of itself.
    read: set[str] = set()
    for directory in dirs:
        try:
            if not directory.exists():
                if directory in configured:  # a typo in agents_dirs, not a project without agents
                    problems.append(f"{_shown(directory)}: does not exist (named in agents_dirs); no agents read from it")
                continue
            is_dir = directory.is_dir()
        except OSError as exc:  # EACCES on a parent (another user's home), a stale network mount
            problems.append(f"{_shown(directory)}: {_reason(exc)}; no agents read from it")
            continue
        if not is_dir:
            problems.append(f"{_shown(directory)}: not a directory; no agents read from it")
            continue
        if (real_dir := os.path.realpath(directory)) in read:
            continue
        read.add(real_dir)
        paths, cut = _agent_files(directory)
        if cut:
            problems.append(cut)
        for path in paths:
            if (real := os.path.realpath(path)) in read:
                continue
            read.add(real)
            try:
                agent = parse_agent_file(path)
            except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
                problems.append(f"{_shown(path)}: {_reason(exc)}; skipped")
                continue
            if agent.id in seen:
                problems.append(
                    f"{_shown(path)}: duplicate agent name {agent.id!r} (already defined in {_shown(seen[agent.id])});"
                    " skipped"
                )
                continue
            seen[agent.id] = path
            agents.append(agent)
    for agent in agents:
        if agent.id in builtin_ids:
            problems.append(f"{_shown(seen[agent.id])}: host agent {agent.id!r} replaces the built-in agent {agent.id!r}")
    return agents, [scrubbed(p) for p in problems]  # a problem may quote a line of the file: a pasted key too


def _agent_files(directory: Path) -> tuple[list[Path], str | None]:
    """The ``*.md`` files under ``directory`` (as ``rglob`` finds them: symlinked directories are not entered), in
    order, and a problem line if the tree is too large to be an agents directory (then only its first part)."""
    found: list[Path] = []
    for walked, (root, dirs, files) in enumerate(os.walk(directory), start=1):
        if walked > MAX_WALKED_DIRS:
            return sorted(found), (f"{_shown(directory)}: more than {MAX_WALKED_DIRS} directories under it (is "
                                   f"agents_dirs naming the agents' own directory?); only the first {MAX_WALKED_DIRS} "
                                   "were looked in")
        dirs.sort()
        found += (Path(root, name) for name in sorted(files) if name.endswith(".md"))
        if len(found) > MAX_AGENT_FILES:
            return sorted(found[:MAX_AGENT_FILES]), (
                f"{_shown(directory)}: more than {MAX_AGENT_FILES} .md files under it (is agents_dirs naming the "
                f"agents' own directory?); the first {MAX_AGENT_FILES} were read")
    return sorted(found), None


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, OSError):
        return f"cannot be read ({exc.strerror or exc})"
    return str(exc)


def _shown(value: object) -> str:
    """``value`` as text for a problem line: as it is if printable, else escaped (no terminal codes)."""
    text = str(value)
    return text if text.isprintable() else ascii(text)


def read_agent_file(path: Path) -> str:
    """The text of the file at ``path``: FrontMatterError if it is not a regular file or is over
    MAX_FILE_BYTES, OSError if it cannot be read, UnicodeDecodeError if it is not UTF-8."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on a regular file).
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as file:  # closes fd
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FrontMatterError("not a regular file")
        # Never more than the limit in memory, even if the file grew since fstat.
        data = b"" if info.st_size > MAX_FILE_BYTES else file.read(MAX_FILE_BYTES + 1)
    size = max(info.st_size, len(data))
    if size > MAX_FILE_BYTES:
        raise FrontMatterError(
            f"{size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for an agent file"
            " (its text is the system prompt sent with every task)"
        )
    return data.decode("utf-8")


def parse_agent_file(path: Path) -> AgentSpec:
    meta, body = split_front_matter(read_agent_file(path))
    name = _text(meta.get("name"))
    if not name:
        raise FrontMatterError("no `name` in the front matter")
    if any(c.isspace() for c in name):
        raise FrontMatterError(f"`name` {ascii(name[:MAX_ID_CHARS + 16])} contains spaces")
    if not SAFE_ID.fullmatch(name):
        raise FrontMatterError(
            f"`name` {ascii(name[:MAX_ID_CHARS + 16])} is not a safe agent id (ASCII letters, digits, '-', '_'"
            f" and '.', not starting with '.', at most {MAX_ID_CHARS} characters)"
        )
    description = " ".join(_UNSAFE_TEXT.sub(" ", _text(meta.get("description"))).split())
    if not description:
        raise FrontMatterError("no `description` in the front matter")
    if not body.strip():
        raise FrontMatterError("no prompt after the front matter (the text sent with every task as its instructions)")
    model = _text(meta.get("model")) or None
    task_types = infer_task_types(name, description, body)
    return AgentSpec(
        id=name,
        category=CATEGORY,
        specialization=description,
        task_types=task_types,
        providers=providers_for(task_types),
        system_prompt=body,
        max_concurrency=MAX_CONCURRENCY,
        source=str(path),
        model=None if model == "inherit" else model,
    )


def infer_task_types(name: str, description: str, prompt: str) -> tuple[str, ...]:
    """Up to three task types, best first, scored by keyword hits weighted by where they occur."""
    texts = {"name": name.replace("-", " ").replace("_", " "), "description": description, "prompt": prompt}
    scores: dict[str, int] = {}
    for task_type, pattern in _PATTERNS.items():
        total = 0
        for field, weight in WEIGHTS:
            hits = len(pattern.findall(texts[field]))
            total += weight * (min(hits, MAX_PROMPT_HITS) if field == "prompt" else min(hits, 1))
        if total:
            scores[task_type] = total
    if not scores:
        return (FALLBACK_TASK_TYPE,)
    best = max(scores.values())
    ranked = sorted(scores, key=lambda t: -scores[t])  # stable: ties keep the table's order
    return tuple(t for t in ranked if scores[t] * 2 >= best)[:MAX_TASK_TYPES]


def providers_for(task_types: Sequence[str]) -> tuple[str, ...]:
    """Every provider, the ones the task types belong to first."""
    preferred = [TASK_TYPE_PROVIDER[t] for t in task_types if t in TASK_TYPE_PROVIDER]
    return tuple(dict.fromkeys([*preferred, *PROVIDERS]))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    return str(value).strip()


def split_front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    """The front matter as a dict of strings / lists of strings, and the body after it."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError("no front matter (the file must start with a `---` line)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise FrontMatterError("the front matter has no closing `---` line") from None
    return parse_front_matter(lines[1:end]), "\n".join(lines[end + 1 :]).strip()


def parse_front_matter(lines: Sequence[str]) -> dict[str, str | list[str]]:
    meta: dict[str, str | list[str]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_LINE.match(line)
        if not match:
            raise FrontMatterError(
                f"line {i + 1} is not `key: value` in the front matter: {line.strip()[:60]!r}"
            )
        key, raw = match.group(1), (match.group(2) or "").strip()
        # Indented lines that follow belong to this key: list items, a block or a wrapped scalar; and the
        # `]` closing a flow list opened on the key's line, wherever it stands.
        block: list[str] = []
        open_list = raw.startswith("[") and not raw.endswith("]")
        while i < len(lines) and (
            not lines[i].strip() or lines[i][:1] in " \t" or lines[i].startswith("- ")
            or (open_list and lines[i].startswith("]"))
        ):
            block.append(lines[i])
            open_list = open_list and not lines[i].rstrip().endswith("]")
            i += 1
        meta[key] = _value(key, raw, block)
    return meta


def _value(key: str, raw: str, block: list[str]) -> str | list[str]:
    items = [b.strip() for b in block if b.strip()]
    if raw in ("|", ">", "|-", ">-", "|+", ">+"):
        joiner = "\n" if raw.startswith("|") else " "
        return joiner.join(items)
    if not raw and items and all(it.startswith("- ") or it == "-" for it in items):
        return [_scalar(key, it[1:].strip()) for it in items]
    if items:
        raw = " ".join([raw, *items]).strip()
    if raw.startswith("[") and raw.endswith("]"):
        return [_scalar(key, p.strip()) for p in _flow_items(raw[1:-1]) if p.strip()]
    return _scalar(key, raw)


def _flow_items(inner: str) -> list[str]:
    """The items of a `[a, "b, c", 'd']` list: split at the commas outside quotes."""
    items, start, quote, i = [], 0, "", 0
    while i < len(inner):
        c = inner[i]
        if quote == '"' and c == "\\":
            i += 1  # an escaped character, maybe a quote
        elif quote and c == quote:
            quote = ""
        elif not quote and c in "\"'":
            quote = c
        elif not quote and c == ",":
            items.append(inner[start:i])
            start = i + 1
        i += 1
    return [*items, inner[start:]]


def _closing_quote(raw: str) -> int:
    """The index of the quote that closes the string ``raw`` opens (a `"` or `'`), or -1 if none does."""
    quote, i = raw[0], 1
    while i < len(raw):
        if quote == '"' and raw[i] == "\\":
            i += 2  # an escaped character, maybe a quote
            continue
        if raw[i] == quote:
            if quote == "'" and raw[i + 1 : i + 2] == "'":  # '' is a quote inside a single-quoted string
                i += 2
                continue
            return i
        i += 1
    return -1


def _scalar(key: str, raw: str) -> str:
    if raw[:1] in ('"', "'") and (end := _closing_quote(raw)) >= 0:
        after = raw[end + 1 :].strip()
        if after and not after.startswith("#"):  # a comment may follow the closing quote, as in YAML
            raise FrontMatterError(f"`{key}` has text after its closing quote: {after[:60]!r}")
        raw = raw[: end + 1]
    if raw.startswith('"'):
        try:  # an escaped half of an emoji ("\\ud83d") has no UTF-8 form: no reply naming the agent could be sent
            return surrogates_replaced(str(json.loads(raw)))
        except json.JSONDecodeError:
            raise FrontMatterError(f"`{key}` has a malformed double-quoted string") from None
    if raw.startswith("'"):
        if len(raw) < 2 or not raw.endswith("'"):
            raise FrontMatterError(f"`{key}` has an unclosed single-quoted string")
        return raw[1:-1].replace("''", "'")
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()
