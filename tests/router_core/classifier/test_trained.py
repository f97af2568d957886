"""The trained classifier: held-out accuracy, robustness, valid output on odd input, determinism."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from router_core.classifier import TASK_TYPE_PROVIDER, lanes
from router_core.classifier.trained import TrainedClassifier, shipped_eval_path
from router_core.settings import PROVIDER_NAMES, TASK_TYPES

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "data" / "corpus"
sys.path.insert(0, str(CORPUS))
from corpus_files import EVAL_ONLY_WRITERS, HELDOUT_FILES, ISSUE_WRITERS, TRAIN_FILES, TRANSFORMED_WRITERS  # noqa: E402

sys.path.remove(str(CORPUS))

# The issue's targets on unseen text (95% provider, 90% task type), at or below the figures
# measured on both held-out sets when the weights were last trained, so a retrain that falls
# below them fails here.
MIN_HELDOUT_PROVIDER = 0.95
MIN_HELDOUT_TASK_TYPE = 0.92


@pytest.fixture(scope="module")
def clf() -> TrainedClassifier:
    return TrainedClassifier.load()


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_valid(result) -> None:
    assert result.classifier == "trained"
    assert result.primary_provider in PROVIDER_NAMES
    assert set(result.fallback_chain) == set(PROVIDER_NAMES) - {result.primary_provider}
    assert len(result.fallback_chain) == 2
    assert set(result.all_scores) == set(PROVIDER_NAMES)
    assert all(0 <= s <= 100 for s in result.all_scores.values())
    assert result.primary_score == result.all_scores[result.primary_provider] == max(result.all_scores.values())
    ordered = [result.all_scores[p] for p in result.fallback_chain]
    assert ordered == sorted(ordered, reverse=True)
    assert result.task_type in TASK_TYPES
    assert TASK_TYPE_PROVIDER[result.task_type] == result.primary_provider
    assert result.reasons


# Round x aimed at the borders inside claude and inside gemini, and a third of it carries another type's
# words: harder than the other fresh sets (88.6% / 80.0% with the weights before it, 89.3% / 80.7% after
# training on issues_x), so it gets a floor against regressions of its own, not the issue's target.
BORDER_HELDOUT = ("heldout_issues_x.jsonl",)
MIN_BORDER_PROVIDER = 0.85
MIN_BORDER_TASK_TYPE = 0.76
ISSUE_HELDOUT = tuple(f"heldout_issues_{w}.jsonl" for w in ISSUE_WRITERS if f"heldout_issues_{w}.jsonl" not in BORDER_HELDOUT)
TRANSFORMED_HELDOUT = tuple(f"heldout_issues_{w}.jsonl" for w in TRANSFORMED_WRITERS)
EVAL_ONLY = tuple(f"{kind}_{w}.jsonl" for w in EVAL_ONLY_WRITERS for kind in ("issues", "heldout_issues"))
# Real issues rewritten with their implicit asks kept are much harder (measured 83.5% / 74.5% over the
# 490 items of sets i-q when the weights were last trained, 80.4% / 68.6% before the ask features and
# character 5-grams): a floor against regressions, not the issue's target.
MIN_TRANSFORMED_PROVIDER = 0.78
MIN_TRANSFORMED_TASK_TYPE = 0.70
# The evaluation-only round (writers r-u, 1,390 items; r, s, t aimed at the borders within a provider):
# measured 85.1% / 75.5% when the weights were last trained (82.7% / 71.4% before the ask features and
# character 5-grams); again a floor, not the target.
MIN_EVAL_ONLY_PROVIDER = 0.80
MIN_EVAL_ONLY_TASK_TYPE = 0.70
OLDER_HELDOUT = tuple(
    name for name in HELDOUT_FILES if name not in ISSUE_HELDOUT + BORDER_HELDOUT + TRANSFORMED_HELDOUT + EVAL_ONLY
)


@pytest.mark.parametrize(
    ("names", "min_provider", "min_task_type"),
    [
        *(((name,), MIN_HELDOUT_PROVIDER, MIN_HELDOUT_TASK_TYPE) for name in OLDER_HELDOUT),
        (ISSUE_HELDOUT, MIN_HELDOUT_PROVIDER, MIN_HELDOUT_TASK_TYPE),
        (BORDER_HELDOUT, MIN_BORDER_PROVIDER, MIN_BORDER_TASK_TYPE),
        (TRANSFORMED_HELDOUT, MIN_TRANSFORMED_PROVIDER, MIN_TRANSFORMED_TASK_TYPE),
        (EVAL_ONLY, MIN_EVAL_ONLY_PROVIDER, MIN_EVAL_ONLY_TASK_TYPE),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, tuple) else str(value),
)
def test_heldout_accuracy_is_above_the_thresholds(clf, names, min_provider, min_task_type):
    """Each older held-out set alone; the issue-style sets (45-80 items per writer) per kind, together."""
    items = [it for name in names for it in read_jsonl(CORPUS / name)]
    assert len(items) >= 140
    results = [clf.classify(it["text"]) for it in items]
    provider = sum(r.primary_provider == it["provider"] for r, it in zip(results, items, strict=True)) / len(items)
    task_type = sum(r.task_type == it["task_type"] for r, it in zip(results, items, strict=True)) / len(items)
    assert provider >= min_provider, f"held-out provider accuracy {provider:.1%}"
    assert task_type >= min_task_type, f"held-out task_type accuracy {task_type:.1%}"


def training_texts() -> set[str]:
    return {it["text"] for name in TRAIN_FILES for it in read_jsonl(CORPUS / name)}


def test_heldout_split_is_disjoint_from_training_and_shipped_as_eval_set():
    heldout = {it["text"] for it in read_jsonl(CORPUS / "heldout.jsonl")}
    assert not heldout & training_texts()
    assert shipped_eval_path().read_bytes() == (CORPUS / "heldout.jsonl").read_bytes()


@pytest.mark.parametrize("name", HELDOUT_FILES[1:])
def test_later_heldout_sets_are_disjoint_from_training_and_from_each_other(name):
    later = read_jsonl(CORPUS / name)
    assert len(later) >= 40
    texts = {it["text"] for it in later}
    assert len(texts) == len(later)
    assert not texts & training_texts()
    others = set(HELDOUT_FILES) - {name}
    assert not texts & {it["text"] for other in others for it in read_jsonl(CORPUS / other)}
    assert all(TASK_TYPE_PROVIDER[it["task_type"]] == it["provider"] for it in later)


@pytest.mark.slow
def test_no_training_item_is_a_near_paraphrase_of_a_heldout_item():
    sys.path.insert(0, str(CORPUS))
    try:
        from heldout_guard import HeldoutGuard, heldout_texts
    finally:
        sys.path.remove(str(CORPUS))
    guard = HeldoutGuard(heldout_texts())
    close = [(text, hit) for text in sorted(training_texts()) if (hit := guard.near(text))]
    assert not close, close[:5]


def test_shipped_weights_were_trained_on_the_corpus_in_the_repo(clf):
    digest = hashlib.sha256()
    for name in TRAIN_FILES:
        digest.update((CORPUS / name).read_bytes())
    assert clf.model.meta["corpus_sha256"] == digest.hexdigest(), "retrain: scripts/train_classifier.py"


@pytest.mark.parametrize(
    ("text", "provider", "task_type"),
    [
        # misleading keywords, first as the issue words them
        ("explain why this throws and fix it", "codex", "debugging"),
        ("design tokens for the button", "codex", "code_generation"),
        ("document the architecture decision", "gemini", "documentation"),
        ("explain why the csv parser throws on an empty file and fix it", "codex", "debugging"),
        ("add design tokens for the primary button (colors, radius, spacing)", "codex", "code_generation"),
        ("document the architecture decision to use Redis streams for the job queue", "gemini", "documentation"),
        ("propose an architecture for a realtime bidding system handling 100k QPS", "claude", "architecture"),
        # negation
        ("don't fix anything, I only want to understand what this segfault means", "gemini", "explanation"),
        # typos
        ("refactr the paymnt modul, its a compleet mess", "codex", "refactoring"),
        ("wrtie unit tests for the invoce totals", "codex", "testing"),
        # other languages
        ("Schreib bitte Unit-Tests für die Klasse Rechnung", "codex", "testing"),
        ("解释一下什么是事务隔离级别", "gemini", "explanation"),
        ("Спроектируй схему базы данных для интернет-магазина", "claude", "design"),
        ("Planifica la migración de la base de datos en tres fases", "claude", "planning"),
        ("Documente a API de pagamentos", "gemini", "documentation"),
    ],
)
def test_robustness_examples(clf, text, provider, task_type):
    result = clf.classify(text)
    assert (result.primary_provider, result.task_type) == (provider, task_type), result.reasons


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "refactor " * 5000, "\x00\x01\x02\xff\ufffd" * 300, "```\n\n```", "🙂🙂🙂", "a"],
    ids=["empty", "whitespace", "very-long", "binary-ish", "empty-code-block", "emoji", "one-letter"],
)
def test_odd_input_gives_a_valid_classification(clf, text):
    assert_valid(clf.classify(text))


def test_empty_text_falls_back_to_the_prior_and_says_so(clf):
    empty = clf.classify("")
    assert clf.classify("   ") == empty
    assert any("prior" in reason for reason in empty.reasons)


def test_reasons_name_the_deciding_features(clf):
    result = clf.classify("refactor the billing module to remove duplication")
    assert result.task_type == "refactoring"
    assert result.reasons[0].startswith("task type refactoring")
    assert any(reason.startswith("'refactor' -> refactoring +") for reason in result.reasons)


def test_classification_is_deterministic(clf):
    text = "Investigate the slow dashboard and speed it up"
    assert clf.classify(text) == clf.classify(text) == TrainedClassifier.load().classify(text)


def run_python(code: str, hashseed: str) -> str:
    env = {"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.slow
def test_same_result_in_processes_with_different_hash_seeds_and_no_numpy():
    code = (
        "import sys; from router_core.classifier.trained import TrainedClassifier as T; "
        "r = T.load().classify('Could you summarise the churn numbers and document them?'); "
        "print(repr(r)); print('numpy' in sys.modules, 'sklearn' in sys.modules)"
    )
    first, second = run_python(code, "1"), run_python(code, "12345")
    assert first == second
    assert first.strip().endswith("False False")


def test_load_reads_a_given_weights_file(tmp_path):
    zeros = [0.0] * len(TASK_TYPES)
    banana = list(zeros)
    banana[TASK_TYPES.index("research")] = 9.0
    model = {
        "classes": list(TASK_TYPES), "bias": zeros, "words": {"banana": banana},
        "chars": {}, "pairs": {}, "first": {}, "markers": {}, "meta": {},
    }
    path = tmp_path / "model.json.gz"
    path.write_bytes(gzip.compress(json.dumps(model).encode()))
    result = TrainedClassifier.load(path).classify("banana")
    assert (result.primary_provider, result.task_type) == ("gemini", "research")
    assert result.reasons[1].startswith("'banana' -> research +")


@pytest.mark.parametrize(
    "text",
    [
        "Refactor the billing module, it's a mess",
        "refactr teh paymnt modul plz",
        "给这个函数加上缓存，并解释一下为什么更快",
        "리뷰 부탁드립니다. 코드가 괜찮은지 봐주세요",
        "```python\nx = 1\n```\nTraceback (most recent call last):\n  File 'a.py'",
        "word " * 400 + "final ask: document the api",
        "Don't refactor anything, just add tests. No code changes!",
        "Explain this and don't fix it:\n```js\nconst x = fix(refactor)\n```\nthanks",
        "```\nunclosed fence with words",
        "Schreib keine Doku, nur Tests; не надо рефакторинг",
        "",
    ],
)
def test_fast_scoring_agrees_with_the_training_features(clf, text):
    """The inference path must see exactly the features training saw (features.features)."""
    from router_core.classifier import features as F

    model = clf.model
    common = {t for t in F.tokens(F.prose(text)) if model._words.vector(t) is not None}
    feats = F.features(text, common if model._grams_of_unseen_only else None)
    rows, scale = clf.model.evidence(text)
    assert scale == F.scale(len(feats))
    expected = [0.0] * len(model.classes)
    tables = {
        "c": model._chars, "b": model._pairs, "f": model._first, "n": model._neg, "t": model._title, "m": model._markers,
    }
    for feat in feats:
        kind, key = feat.split("|", 1)
        if kind == "w":
            continue  # words are folded with their char n-grams below
        vec = tables[kind].vector(key)
        if kind == "c" or vec is None:
            continue
        expected = [e + v for e, v in zip(expected, vec, strict=True)]
    for tok in F.tokens(F.prose(text)):
        if tok in F.STOPWORDS:
            continue
        # A word's own row, else a rare word's row (its n-grams folded in), else the n-grams of a word without a row.
        if (vec := model._words.vector(tok)) is not None or (
            model._rare is not None and (vec := model._rare.vector(tok)) is not None
        ):
            expected = [e + v for e, v in zip(expected, vec, strict=True)]
        else:
            for gram in F.char_ngrams(tok):
                if (vec := model._chars.vector(gram[2:])) is not None:
                    expected = [e + v for e, v in zip(expected, vec, strict=True)]
    got = lanes.total([vec for _, vec in rows], len(model.classes))
    assert got == pytest.approx(expected)


def test_with_grams_of_unseen_only_a_word_with_a_row_counts_once_and_an_unseen_word_by_its_grams():
    """Weights trained with --grams-of-rare: a common word had no n-gram features in training, so it counts
    one feature in the 1/sqrt(n) scale; a word without a row (a typo) still scores through its n-grams."""
    from router_core.classifier import features as F
    from router_core.classifier.model import LinearModel

    zeros = [0.0] * len(TASK_TYPES)
    research = list(zeros)
    research[TASK_TYPES.index("research")] = 4.0
    data = {"classes": list(TASK_TYPES), "bias": zeros, "words": {"banana": research}, "chars": {"anana": research},
            "pairs": {}, "first": {}, "markers": {}, "meta": {}, "grams_of_unseen_only": True,
            "rare": {"bandana": research}}
    model = LinearModel(data)
    marks = len(F.markers("banana"))
    assert model.evidence("banana")[1] == F.scale(1 + 2 + marks)  # the word, its first-word and title features
    assert model.evidence("banana")[1] == F.scale(len(F.features("banana", {"banana"})))
    rows, scale = model.evidence("bananana")  # no row: its 6 five-grams count, "anana" twice
    assert scale == F.scale(len(F.features("bananana", set()))) == F.scale(1 + 6 + 2 + marks)
    assert [label for label, _ in rows][:1] == ["~bananana"]
    assert TrainedClassifier(model).classify("bananana").task_type == "research"
    # A word of the rare table (fitted, but with its n-grams in training): its folded row, its n-grams counted.
    rows, scale = model.evidence("bandana")
    assert scale == F.scale(len(F.features("bandana", {"banana"}))) == F.scale(1 + 5 + 2 + marks)
    assert [label for label, _ in rows][:1] == ["bandana"]
