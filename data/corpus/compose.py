"""Compose the generated part of the training corpus: templates x slot fillers x styles x noise.

    python data/corpus/compose.py [--per-type 1500] [--seed 7]     # writes data/corpus/generated.jsonl

Deterministic for a given seed. Styles: terse titles, tagged titles, requests, issue bodies (title +
sentences, or markdown sections), long multi-paragraph requests with neutral context, negations,
cross-cue texts (another type's keyword, this type's deliverable), other languages; noise: typos, case changes, dropped punctuation.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import slots as S  # noqa: E402
import vocab as V  # noqa: E402
from corpus_files import HAND_FILES  # noqa: E402
from heldout_guard import HeldoutGuard, heldout_texts  # noqa: E402
from templates_claude import CLAUDE  # noqa: E402
from templates_codex import CODEX  # noqa: E402
from templates_gemini import GEMINI  # noqa: E402
from templates_intl import INTL, LCOMP  # noqa: E402
from templates_mixed import MIXED  # noqa: E402

TEMPLATES = {**CODEX, **GEMINI, **CLAUDE}
PROVIDER = {**dict.fromkeys(CODEX, "codex"), **dict.fromkeys(GEMINI, "gemini"), **dict.fromkeys(CLAUDE, "claude")}

FILLERS: dict[str, list[str]] = {
    "component": V.COMPONENT, "tech": V.TECH, "lang": V.LANG, "func": V.FUNC, "path": V.PATH,
    "error": V.ERROR, "symptom": V.SYMPTOM, "data": V.DATA, "concept": V.CONCEPT, "system": V.SYSTEM,
    "domain": V.DOMAIN, "entity": V.DOMAIN_ENTITY, "migration": V.MIGRATION, "metric": V.METRIC,
    "team": V.TEAM, "industry": V.INDUSTRY, "research_topic": V.RESEARCH_TOPIC,
    "feature": S.FEATURE, "feature_short": S.FEATURE_SHORT, "scope": S.SCOPE,
    "endpoint_purpose": S.ENDPOINT_PURPOSE, "user_want": S.USER_WANT, "event": S.EVENT,
    "script_purpose": S.SCRIPT_PURPOSE, "workflow_purpose": S.WORKFLOW_PURPOSE, "func_purpose": S.FUNC_PURPOSE,
    "ui_purpose": S.UI_PURPOSE, "column": S.COLUMN, "infra": S.INFRA, "entity_word": S.ENTITY_WORD,
    "entity_plural": S.ENTITY_WORD, "test_tool": S.TEST_TOOL, "n_time": S.N_TIME, "n_big": S.N_BIG,
    "n_small": S.N_SMALL, "pr": S.PR, "year": S.YEAR, "half": S.HALF, "cloud": S.CLOUD, "region": S.REGION,
    "doc_file": S.DOC_FILE, "strategy_topic": S.STRATEGY_TOPIC, "roadmap_items": S.ROADMAP_ITEMS,
    "notes": S.NOTES, "regex": S.REGEX, "sql": S.SQL, "snippet": S.SNIPPET, "trace": S.TRACE,
    "version": ["v2", "v3", "2.0", "4.1", "16", "21", "3.3", "8.2", "5.x"],
    "ci": S.CI,
    "event_action": ["saving a draft", "exporting a report", "logging in with SSO", "uploading a large file",
                     "switching tenants", "resizing the window", "running the migration", "opening the settings",
                     "deleting a user", "paying with a saved card", "rotating the keys", "importing the spreadsheet"],
    "event_when": ["when the queue is empty", "every night at 2am", "right after deploys", "for some users only",
                   "when two requests arrive together", "on the first request after idle"],
}
_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: random.Random, lang: str = "en") -> str:
    used: dict[str, str] = {}

    def pick(match: re.Match) -> str:
        name = match.group(1)
        if name == "lcomp":
            return rng.choice(LCOMP[lang])
        base = name[:-1] if name[-1] == "2" and name[:-1] in FILLERS else name
        options = FILLERS[base]
        value = rng.choice(options)
        for _ in range(5):
            if value != used.get(base):
                break
            value = rng.choice(options)
        used.setdefault(base, value)
        return value

    return _SLOT.sub(pick, template)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]


def noisy(text: str, rng: random.Random) -> str:
    if "```" in text:
        return text
    r = rng.random()
    if r < 0.3:
        words = text.split(" ")
        for _ in range(rng.choice([1, 1, 2, 3])):
            j = rng.randrange(len(words))
            words[j] = typo(words[j], rng)
        text = " ".join(words)
    r = rng.random()
    if r < 0.35:
        text = text.lower()
    elif r < 0.38:
        text = text.upper()
    elif r < 0.5:
        text = text[:1].upper() + text[1:]
    if rng.random() < 0.3:
        text = text.rstrip(".!?")
    return text


def sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".?!:`" else text + "."


def compose_one(task_type: str, rng: random.Random) -> tuple[str, str, str]:
    """(text, lang, style) for one item of this task type."""
    t = TEMPLATES[task_type]
    style = rng.choices(
        ["title", "tagged", "ask", "issue", "markdown", "long", "negation", "intl", "mixed"],
        weights=[16, 9, 22, 16, 6, 9, 7, 15, 8],
    )[0]
    if style == "mixed":
        text = fill(rng.choice(MIXED[task_type]), rng)
        if rng.random() < 0.4:
            text = " ".join([sentence(text), *(fill(b, rng) for b in rng.sample(t["bodies"], k=1))])
        return noisy(text, rng), "en", style
    if style == "intl":
        lang = rng.choice(["de", "fr", "es", "pt", "zh", "ja", "ru", "de", "fr", "es", "zh", "it", "ko"])
        text = fill(rng.choice(INTL[lang][task_type]), rng, lang)
        if rng.random() < 0.2:
            text = f"{fill(rng.choice(S.NEUTRAL_TAGS), rng)} {text}".strip()
        return noisy(text, rng) if lang in "de fr es pt it ru" else text, lang, style
    title = fill(rng.choice(t["titles"]), rng)
    ask = fill(rng.choice(t["asks"]), rng)
    body = [fill(b, rng) for b in rng.sample(t["bodies"], k=min(len(t["bodies"]), rng.choice([1, 1, 2, 3])))]
    if style == "title":
        return noisy(title, rng), "en", style
    if style == "tagged":
        tag = rng.choice(S.TAGS[task_type]) if rng.random() < 0.6 else rng.choice(S.NEUTRAL_TAGS)
        return f"{tag} {noisy(title, rng)}".strip(), "en", style
    if style == "ask":
        polite = "" if re.match(r"(can|could|would|please|what|how|why|is|does|do|which|where|when|should|i |we )", ask) else rng.choice(S.POLITE)
        text = f"{polite}{ask}{rng.choice(S.SIGNOFF)}"
        return noisy(text, rng), "en", style
    if style == "issue":
        head = title if rng.random() < 0.7 else ask
        return noisy(" ".join([sentence(head), *map(sentence, body)]), rng), "en", style
    if style == "markdown":
        ctx = fill(rng.choice(S.CONTEXT), rng)
        parts = [title, "", "## Description", sentence(ask[:1].upper() + ask[1:]), *body, "", "## Context", ctx]
        return "\n".join(parts), "en", style
    if style == "negation":
        neg = rng.choice(S.NEGATION[task_type])
        text = f"{sentence(ask)} {neg}" if rng.random() < 0.7 else f"{neg} {sentence(ask)}"
        return noisy(text, rng), "en", style
    ctx = " ".join(fill(c, rng) for c in rng.sample(S.CONTEXT, k=rng.choice([1, 2, 3])))
    ask_par = sentence(ask[:1].upper() + ask[1:])
    paras = [ctx, " ".join([ask_par, *body])] if rng.random() < 0.6 else [" ".join([ask_par, *body]), ctx]
    if rng.random() < 0.4:
        paras.insert(1, fill(rng.choice(S.CONTEXT), rng) + " " + sentence(fill(rng.choice(t["bodies"]), rng)))
    return "\n\n".join(paras), "en", "long"


def augment(item: dict, rng: random.Random) -> str:
    """A variant of a hand-written item: noise, a tag, a neutral context sentence or a polite wrapper."""
    text = item["text"]
    kind = rng.randrange(4)
    if kind == 0 or item.get("lang", "en") != "en":
        return noisy(text, rng) if item.get("lang", "en") not in ("zh", "ja", "ko") else f"{rng.choice(S.NEUTRAL_TAGS)} {text}".strip()
    if kind == 1:
        return f"{rng.choice(S.NEUTRAL_TAGS + S.TAGS[item['task_type']])} {text}".strip()
    if kind == 2:
        ctx = fill(rng.choice(S.CONTEXT), rng)
        return f"{ctx} {text}" if rng.random() < 0.5 else f"{sentence(text)}\n\n{ctx}"
    return noisy(f"{rng.choice(S.POLITE)}{text[:1].lower()}{text[1:]}{rng.choice(S.SIGNOFF)}", rng)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-type", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--variants", type=int, default=3, help="augmented variants per hand-written item")
    ap.add_argument("--out", type=Path, default=HERE / "generated.jsonl")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    seen: set[str] = set()
    guard = HeldoutGuard(heldout_texts())  # no near-paraphrase of a held-out item enters training
    skipped = 0
    rows = []
    for task_type in TEMPLATES:
        made = 0
        while made < args.per_type:
            text, lang, style = compose_one(task_type, rng)
            if text in seen:
                continue
            if guard.near(text):
                seen.add(text)
                skipped += 1
                continue
            seen.add(text)
            made += 1
            rows.append({"id": f"g-{len(rows) + 1:06d}", "text": text, "provider": PROVIDER[task_type],
                         "task_type": task_type, "lang": lang, "style": style})
    hand = [
        json.loads(line)
        for name in HAND_FILES
        for line in (HERE / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    seen.update(it["text"] for it in hand)
    for item in hand:
        for _ in range(args.variants):
            text = augment(item, rng)
            if text in seen:
                continue
            if guard.near(text):
                seen.add(text)
                skipped += 1
                continue
            seen.add(text)
            rows.append({"id": f"g-{len(rows) + 1:06d}", "text": text, "provider": item["provider"],
                         "task_type": item["task_type"], "lang": item.get("lang", "en"), "style": "variant"})
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} items to {args.out} (skipped {skipped} near-paraphrases of held-out items)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
