"""Train the task classifier's weights from data/corpus/ and ship them in router_core/data/.

    .venv/bin/pip install numpy scipy scikit-learn      # dev-only: training needs them, run time does not
    .venv/bin/python data/corpus/compose.py            # (re)build data/corpus/generated.jsonl
    .venv/bin/python scripts/train_classifier.py

Trains a multinomial logistic regression (scikit-learn, L2) on the features of
router_core/classifier/features.py, blends it with a complement naive Bayes over the same
features (still one linear model), folds each training word's character n-gram weights into
the word's own vector, prunes near-zero weights, and writes data/classifier_model.json.gz (not
shipped) and its packed form, router_core/data/classifier_model.bin (the shipped weights), plus the
held-out split as router_core/data/classifier_eval.jsonl (the learning guard's evaluation set). It then reloads the
written file with the pure-Python classifier and prints its held-out accuracy.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from router_core.classifier import TASK_TYPE_PROVIDER  # noqa: E402
from router_core.classifier import features as F  # noqa: E402
from router_core.settings import TASK_TYPES  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import pack_classifier  # noqa: E402

CORPUS = ROOT / "data" / "corpus"
sys.path.insert(0, str(CORPUS))
from corpus_files import (  # noqa: E402  (held-out: never trained on)
    EVAL_ONLY_WRITERS,
    GENERATED_ID_PREFIX,
    HELDOUT_FILES,
    TRAIN_FILES,
    TRANSFORMED_WRITERS,
)

# The held-out files of rewritten real issues (the hardest, implicit asks); the rest were written fresh.
REWRITTEN_FILES = frozenset(
    (
        *(f"heldout_issues_{w}.jsonl" for w in TRANSFORMED_WRITERS + EVAL_ONLY_WRITERS),
        *(f"issues_{w}.jsonl" for w in EVAL_ONLY_WRITERS),
    )
)
OUT = ROOT / "data" / "classifier_model.json.gz"  # not shipped: the packed form is (pack_classifier.py)
EVAL_OUT = ROOT / "router_core" / "data" / "classifier_eval.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def common_words(items: list[dict], min_count: int) -> frozenset[str]:
    """The (non-stop) words seen in at least ``min_count`` training texts: the words that get a row of their own."""
    seen = collections.Counter(t for it in items for t in set(F.tokens(F.prose(it["text"]))) if t not in F.STOPWORDS)
    return frozenset(t for t, n in seen.items() if n >= min_count)


def fit(items: list[dict], weights_of: list[float], c: float, min_count: int, nb_weight: float, nb_alpha: float,
        common: frozenset[str] | None = None):
    """Logistic regression, blended with a complement naive Bayes over the same features.

    The blend stays one linear model: weights = (1 - nb_weight) * LR + nb_weight * NB, where the
    NB weights (trained on feature presence) are centred per feature, which leaves the softmax
    unchanged while making them small and prunable."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB

    feats = [F.features(it["text"], common) for it in items]
    counts = collections.Counter(f for fs in feats for f in set(fs))
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= min_count))}
    rows, cols, vals = [], [], []
    for r, fs in enumerate(feats):
        s = F.scale(len(fs))
        for f, n in collections.Counter(fs).items():
            if f in vocab:
                rows.append(r)
                cols.append(vocab[f])
                vals.append(n * s)
    x = csr_matrix((vals, (rows, cols)), shape=(len(items), len(vocab)), dtype=np.float64)
    y = np.array([TASK_TYPES.index(it["task_type"]) for it in items])
    sample_weight = np.array(weights_of)
    clf = LogisticRegression(C=c, max_iter=3000, tol=1e-5)
    clf.fit(x, y, sample_weight=sample_weight)
    weights = np.zeros((len(vocab), len(TASK_TYPES)))
    weights[:, clf.classes_] = (1 - nb_weight) * clf.coef_.T
    bias = np.zeros(len(TASK_TYPES))
    bias[clf.classes_] = (1 - nb_weight) * clf.intercept_
    if nb_weight:
        present = x.copy()
        present.data[:] = 1.0
        nb = ComplementNB(alpha=nb_alpha).fit(present, y, sample_weight=sample_weight)
        centred = nb.feature_log_prob_ - nb.feature_log_prob_.mean(axis=0, keepdims=True)
        weights[:, nb.classes_] += nb_weight * centred.T
    words = collections.Counter(t for it in items for t in F.tokens(F.prose(it["text"])))
    return vocab, weights, bias, words, counts


def balanced_weights(items: list[dict], hand_weight: float, type_balance: bool = False) -> list[float]:
    """Hand-written items count ``hand_weight`` times; then every provider gets the same total weight,
    so a provider with more task types (codex has 6 of 14) gets no larger prior. With
    ``type_balance``, each task type first gets the same total weight within its provider."""
    raw = [1.0 if it["id"].startswith(GENERATED_ID_PREFIX) else hand_weight for it in items]
    if type_balance:
        per_type: dict[str, float] = collections.defaultdict(float)
        for it, w in zip(items, raw, strict=True):
            per_type[it["task_type"]] += w
        share = sum(per_type.values()) / len(per_type)  # the total weight stays the same, and so does C's meaning
        raw = [w * share / per_type[it["task_type"]] for it, w in zip(items, raw, strict=True)]
    per_provider: dict[str, float] = collections.defaultdict(float)
    for it, w in zip(items, raw, strict=True):
        per_provider[it["provider"]] += w
    target = sum(per_provider.values()) / len(per_provider)
    return [w * target / per_provider[it["provider"]] for it, w in zip(items, raw, strict=True)]


# The tables whose rows --keep-count thins at export: the most numerous (word pairs, the ask's words and the
# other markers, and the character n-grams that score words never seen in training), where a row seen in
# few training texts mostly learnt that text's topic. A word's own row still folds in all its n-grams.
THINNED_KINDS = frozenset({"b", "m", "c"})


def export(vocab, weights, bias, words, prune: float, meta: dict, counts=None, keep_count: int = 0,
           common: frozenset[str] | None = None, chars_keep_count: int | None = None) -> dict:
    """The weights as the JSON file stores them: rows whose largest weight is below ``prune`` are dropped,
    and so are the rows of ``THINNED_KINDS`` seen in fewer than ``keep_count`` training texts (``counts``)."""

    def vec(row) -> list[float]:
        return [round(float(v), 3) for v in row]

    def row(name: str):
        i = vocab.get(name)
        return None if i is None else weights[i]

    tables: dict[str, dict] = {"chars": {}, "pairs": {}, "first": {}, "neg": {}, "title": {}, "markers": {}}
    prefix_table = {"c": "chars", "b": "pairs", "f": "first", "n": "neg", "t": "title", "m": "markers"}
    for name, i in vocab.items():
        kind, key = name.split("|", 1)
        least = chars_keep_count if kind == "c" and chars_keep_count is not None else keep_count
        if kind in THINNED_KINDS and least and counts[name] < least:
            continue
        if kind in prefix_table and abs(weights[i]).max() >= prune:
            tables[prefix_table[kind]][key] = vec(weights[i])
    out_words = {}
    if common is not None:  # exactly the common words, each its own row (no n-grams): scoring tells them apart so
        out_words = {w: vec(weights[vocab[f"w|{w}"]]) for w in sorted(common)}
        rare = {}  # fitted words that are not common: their row folds in their n-grams'
        for name, i in vocab.items():
            if name.startswith("w|") and name[2:] not in common:
                rare[name[2:]] = vec(sum([weights[i], *(r for g in F.char_ngrams(name[2:]) if (r := row(g)) is not None)]))
        return {"classes": list(TASK_TYPES), "bias": vec(bias), "words": out_words, **tables, "meta": meta,
                "grams_of_unseen_only": True, **({"rare": rare} if rare else {})}
    for word in words:
        if word in F.STOPWORDS:
            continue
        parts = [r for r in [row(f"w|{word}"), *(row(g) for g in F.char_ngrams(word))] if r is not None]
        if parts:
            total = sum(parts)
            if abs(total).max() >= prune:
                out_words[word] = vec(total)
    return {"classes": list(TASK_TYPES), "bias": vec(bias), "words": out_words, **tables, "meta": meta}


def evaluate(path: Path, items: list[dict]) -> tuple[float, float]:
    from router_core.classifier.trained import TrainedClassifier

    clf = TrainedClassifier.load(path)
    prov = tt = 0
    for it in items:
        result = clf.classify(it["text"])
        prov += result.primary_provider == it["provider"]
        tt += result.task_type == it["task_type"]
    return prov / len(items), tt / len(items)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--c", type=float, default=50.0, help="inverse L2 strength")
    # A hand-written item and its 3 generated variants make 4 texts: 5 keeps what at least two items share.
    ap.add_argument("--min-count", type=int, default=5, help="fit only features seen in at least this many texts")
    ap.add_argument("--keep-count", type=int, default=8,
                    help="ship word-pair, marker and n-gram rows seen in at least this many texts (0: all)")
    ap.add_argument("--prune", type=float, default=0.02, help="drop vectors whose largest weight is below")
    ap.add_argument("--hand-weight", type=float, default=16.0, help="sample weight of hand-written items")
    ap.add_argument("--nb-weight", type=float, default=0.5, help="share of the naive Bayes model in the blend")
    ap.add_argument("--nb-alpha", type=float, default=0.3, help="naive Bayes smoothing")
    ap.add_argument("--type-balance", action="store_true", help="give each task type the same total weight in its provider")
    ap.add_argument("--grams-of-rare", action=argparse.BooleanOptionalAction, default=True,
                    help="character n-grams only for words seen in fewer than --common-count texts (default: on)")
    ap.add_argument("--chars-keep-count", type=int, default=0,
                    help="--keep-count for the n-gram rows (default 0: every fitted n-gram row ships)")
    ap.add_argument("--common-count", type=int, default=40,
                    help="with --grams-of-rare: words seen in this many texts have no n-grams (0: --min-count)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    items = [it for name in TRAIN_FILES for it in read_jsonl(CORPUS / name)]
    heldout_sets = {name: read_jsonl(CORPUS / name) for name in HELDOUT_FILES}
    for it in items + [it for rows in heldout_sets.values() for it in rows]:
        assert TASK_TYPE_PROVIDER[it["task_type"]] == it["provider"], it
    digest = hashlib.sha256()
    for name in TRAIN_FILES:
        digest.update((CORPUS / name).read_bytes())
    sample_weights = balanced_weights(items, args.hand_weight, args.type_balance)
    common = common_words(items, args.common_count or args.min_count) if args.grams_of_rare else None
    vocab, weights, bias, words, counts = fit(items, sample_weights, args.c, args.min_count, args.nb_weight, args.nb_alpha,
                                              common)
    meta = {
        "trained_on": f"{len(items)} items from data/corpus/{{{','.join(TRAIN_FILES)}}}",
        "corpus_sha256": digest.hexdigest(),
        "c": args.c,
        "hand_weight": args.hand_weight,
        "nb_weight": args.nb_weight,
        "nb_alpha": args.nb_alpha,
        "type_balance": args.type_balance,
        "min_count": args.min_count,
        "prune": args.prune,
        "keep_count": args.keep_count,
        "chars_keep_count": args.chars_keep_count,
        "features": len(vocab),
        "grams_of_rare": args.grams_of_rare,
        "common_count": args.common_count,
    }
    model = export(vocab, weights, bias, words, args.prune, meta, counts, args.keep_count, common,
                   args.chars_keep_count)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(gzip.compress(json.dumps(model, separators=(",", ":"), ensure_ascii=False).encode(), mtime=0))
    if args.out == OUT:
        shutil.copyfile(CORPUS / "heldout.jsonl", EVAL_OUT)
        pack_classifier.main()  # the fast-loading form, with the flags only the packer works out
    sizes = {k: len(model[k]) for k in ("words", "chars", "pairs", "first", "neg", "title", "markers")}
    print(f"trained on {len(items)} items, {len(vocab)} features -> {args.out} ({args.out.stat().st_size} bytes) {sizes}")
    totals: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for name, rows in heldout_sets.items():
        prov, tt = evaluate(args.out, rows)
        print(f"{name} ({len(rows)} items): provider {prov:.1%}  task_type {tt:.1%}")
        group = "rewritten" if name in REWRITTEN_FILES else "fresh"
        for i, n in enumerate((round(prov * len(rows)), round(tt * len(rows)), len(rows))):
            totals[group][i] += n
    for group, (prov_n, tt_n, n) in totals.items():
        print(f"total {group} ({n} items): provider {prov_n} ({prov_n / n:.1%})  task_type {tt_n} ({tt_n / n:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
