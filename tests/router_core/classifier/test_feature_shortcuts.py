"""The shortcuts of features.py give what the plain forms they replaced give, on the corpus and on edge cases.

Each reference below is the code the shortcut replaced (kept here as the specification): a sentence's first
word read chunk by chunk, negation scopes split by str.replace, the list pattern tried on every text, every
word read for an ask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router_core.classifier import features as F

CORPUS = Path(__file__).resolve().parents[3] / "data" / "corpus"
EDGES = [
    "", " ", "\n", "a", "Fix it.", "the a an", "1. a\n2. b", "1. a\n2. b\n3. c", "- a\n- b\n* c\n",
    "x\n\n\n- a - b - c", "- a\r- b\r- c", "don't refactor, no tests. instead of docs (not) x",
    "Ne pas toucher; sans docs", "refactor;no tests", "docs:never(again)", "Nicht ändern: ohne Tests!", "не трогай, без тестов",
    "a." * 70 + "fix." + "a." * 50,  # a chunk of 121 words: tokens() keeps its first 64 and last 32
    "a " * 70 + "fix",  # the first word past 64, each chunk a word of its own
    "the " * 10 + "a.b.c.refactor", "\x1c\x1dthe\x1fplan", "ſtop İt ıs", "please", "can you", "how do i",
    "can you please help me refactor this", "we need to", "Can you\nplease fix",
    # Long sentences, read from their first PREFIX_CHARS characters first: the first word past them, one cut by them.
    "the " * 45 + "refactor now", "the " * 39 + "refactorisation" + " x" * 30, "a" * 400, "the " * 80 + "fix",
    "x " * 20 + "the " * 30 + "y" * 10 + " z" * 5,
]


def corpus_texts(step: int = 5) -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts[::step]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts() + EDGES


def opening_reference(sentence: str) -> str | None:
    for chunk in sentence.split():
        for tok in F.tokens(chunk):
            if tok not in F.STOPWORDS:
                return tok
    return None


def negated_reference(text: str) -> list[str]:
    low = text.lower()
    every = low
    for mark in F._CLAUSE_BREAK_MARKS:
        every = every.replace(mark, " ")
    every = every.split()
    if F.NEGATIONS.isdisjoint(every) and F._TWO_WORD_NEGATIONS.keys().isdisjoint(every):
        return []
    out: list[str] = []
    for clause in F._CLAUSE.findall(low):
        words = clause.split()
        for i, word in enumerate(words):
            if word in F.NEGATIONS:
                scope = words[i + 1 : i + 1 + F.NEGATED_WORDS]
            elif F._TWO_WORD_NEGATIONS.get(word) == (words[i + 1] if i + 1 < len(words) else None):
                scope = words[i + 2 : i + 2 + F.NEGATED_WORDS]
            else:
                continue
            out.extend(t for t in F.tokens(" ".join(scope))[: F.NEGATED_WORDS] if t not in F.STOPWORDS)
    return out


def is_list_reference(body: str) -> bool:
    return len(F._LIST_ITEM.findall(body)) >= 3


def ask_verbs_reference(toks: list[str]) -> list[str]:
    out: list[str] = []
    for i, tok in enumerate(toks):
        if tok not in F._ASK_ENDS:
            continue
        if not (
            tok in F._ASK_AFTER_WORD
            or (i and (toks[i - 1], tok) in F._ASK_AFTER_PAIR)
            or (i > 1 and toks[i - 2] == "how" and toks[i - 1] in F._HOW_DO and tok in ("i", "we", "you"))
        ):
            continue
        verb = next((t for t in toks[i + 1 :] if t not in F._ASK_SKIPPED), None)
        if verb is not None:
            out.append(verb)
            if len(out) == F.ASK_VERBS:
                break
    return out


def test_a_sentence_opens_with_the_word_read_chunk_by_chunk(texts):
    sentences = [part for text in texts for part in F._SENTENCE_END.split(F.prose(text)) if part.strip()]
    sentences += EDGES
    assert [F._opening(s) for s in sentences] == [opening_reference(s) for s in sentences]
    assert opening_reference("a." * 70 + "fix." + "a." * 50) is None  # the edge case the cut-off guard is for


def test_the_first_words_of_a_sentence_are_those_of_its_tokens(texts):
    sentences = [part for text in texts for part in F._SENTENCE_END.split(F.prose(text)) if part.strip()] + EDGES
    for n in (1, 12, 13):
        assert [F._first_tokens(s, n) for s in sentences] == [F.tokens(s)[:n] for s in sentences]


def test_negated_words_are_those_of_the_replace_split(texts):
    assert [F.negated(F.prose(t)) for t in texts] == [negated_reference(F.prose(t)) for t in texts]


@pytest.mark.parametrize("extra", ["", " (x)", " word" * 70 + " don't fix" + " word" * 40])
def test_negated_words_given_the_tokens_are_those_of_the_replace_split(texts, extra):
    """With its tokens a text that opens no negation word is not split at all: the same words (the last case: the
    negation past the words tokens() keeps)."""
    bodies = [F.prose(t) + extra for t in texts] + ["won't fix", "x,cannot y", "instead\nof it", "rather.than that",
                                                       "no \0 tests", "not\0tests é", "never a b c d e, rather than x.",
                                                       "is not defined`\n\nWe deploy"]
    assert [F.negated(b, F.tokens(b)) for b in bodies] == [negated_reference(b) for b in bodies]


def test_the_list_marker_is_given_as_by_the_pattern_alone(texts):
    bodies = [F.prose(t) for t in texts]
    assert [F.LIST in F.shape(b) for b in bodies] == [is_list_reference(b) for b in bodies]
    assert any(is_list_reference(b) for b in bodies)


def test_ask_verbs_are_those_of_reading_every_word(texts):
    toks = [F.tokens(F.prose(t)) for t in texts]
    assert [F.ask_verbs(t) for t in toks] == [ask_verbs_reference(t) for t in toks]
    assert any(ask_verbs_reference(t) for t in toks)
