"""Text -> the trained classifier's features: words, word pairs, character n-grams, first word,
negated words, title words.

Shared by training (``scripts/train_classifier.py``) and inference (``trained.py``) so both see
exactly the same features. Pure Python and deterministic.

- Text is NFKC-normalised and case-folded; digits become ``0`` ("python3" -> "python0").
- Words are runs of letters/digits. A run of Chinese/Japanese characters has no spaces, so it is
  split into its single characters and character pairs, each treated as a word; Korean runs too
  (particles attach to words, so syllables and syllable pairs generalise better than words).
- A Latin/Cyrillic/... word of 4+ letters also yields its character 5-grams (of ``<word>``), which
  carry typos, inflections and unseen compounds ("refactr", "analysiere"). 3- and 4-grams as well
  (``FINGERPRINT_NGRAM_SIZES``, still used by the fingerprints of ``near.py``) cost 2.6 points of
  task type on the rewritten real issues (49 of 1,880): a text's many short n-grams learnt its topic
  and, counted in the 1/sqrt(n) scale, diluted the words that carry the ask.
- Fenced code (between ```` ``` ```` marks) yields only the code-block marker: identifiers in a
  snippet say little about what is asked of it.
- Very long text keeps its first ``HEAD_TOKENS`` and last ``TAIL_TOKENS`` words: the ask is almost
  always stated at the start or the end, and the cap bounds the time per task.
- Words within ``NEGATED_WORDS`` after a negation ("don't refactor", "no code changes", "nicht",
  "sans", "без"...), up to the next punctuation mark, also yield a negated feature, so "don't fix
  it" can point away from debugging while "fix it" points to it.
- The words of the first sentence (the title, for an issue) also yield a title feature: the ask
  is usually stated there, while the body adds context.

Feature names carry a prefix: ``w|`` word, ``b|`` word pair, ``c|`` character n-gram,
``f|`` first word, ``n|`` negated word, ``t|`` title word, ``m|`` marker (code block, stack trace,
the ask's shape: how much punctuation, a list, an enumeration after a colon, arrows, and the ask's
words, see ``ask``).

The ask's words (``ask``) carry what is asked rather than the topic: the word after "please", "can
you", "we need to", "how do I"...; the first word of each sentence (imperatives open sentences); the
words of the last sentence (the ask often closes a request); the word pairs of the title; how many
question marks and whether the text ends with one. They live in the markers table, so scoring looks
them up like any marker and their keys read as reasons ("asks: fix", "last sentence: docs").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import compress, count, filterfalse

HEAD_TOKENS = 64
TAIL_TOKENS = 32
CHAR_NGRAM_SIZES = (5,)  # the classifier's
FINGERPRINT_NGRAM_SIZES = (3, 4, 5)  # near.py's (near-paraphrases, learned corrections)
MIN_CHARGRAM_WORD = 4
# A word of length L has sum(L + 3 - k for k in sizes) n-grams of <word>: len(sizes) * L + this.
GRAM_COUNT_OFFSET = sum(3 - k for k in CHAR_NGRAM_SIZES)

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# On ASCII text, words are the runs of [a-z0-9] once lower-cased: everything else becomes a space
# and every digit a 0, in one bytes.translate (a byte table: a third of what str.translate's dict and lower()
# cost; a regex took three times as long as those).
_ASCII_WORDS = bytes(
    ord(" ") if not c.isalnum() else ord("0") if c.isdigit() else ord(c.lower()) for c in map(chr, range(128))
) + bytes(range(128, 256))
_DIGIT = re.compile(r"\d")
# A stack trace: a Python traceback, a Go panic, a Java "Exception in thread" or an indented "at a.b.C(" frame.
_TRACE_WORDS = ("traceback (most recent", "exception in thread", "panic:")  # matched in the lower-cased text
_TRACE_FRAME = re.compile(r"^\s+[aA][tT] [\w.$]+\(", re.MULTILINE)
# The same frame opening a line after the first, searched from its "\n" (a literal the engine skips to in C; ^ in
# MULTILINE mode was tried at every position of the text).
_TRACE_FRAME_AFTER_NEWLINE = re.compile(r"\n\s+[aA][tT] [\w.$]+\(")
_TRACE_FOLDED = re.compile("|".join(map(re.escape, _TRACE_WORDS)), re.IGNORECASE)

# Function words carry no intent of their own; as unigrams they only learn the corpus's phrasing
# ("a function that...", "from X to Y"). They still take part in word pairs. Negations and
# limiters (not, no, don't, only, just, without) are deliberately absent.
STOPWORDS = frozenset(
    """a an the to of in on at by for from with and or but as is are was were be been being it its this
    that these those there their our your my we i you me us they them he she his her so if then than
    into onto about over per via also some any all each every which who whom whose am do does did has
    have had will would shall should can could may might must""".split()  # noqa: SIM905
)

_FENCED = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_CLAUSE = re.compile(r"[^.,;:!?()\n]+")
_CLAUSE_BREAK_MARKS = ".,;:!?()"
_CLAUSE_ENDS = bytes(0 if chr(c) in _CLAUSE_BREAK_MARKS + "\n" else c for c in range(256))  # each a "\0" (_CLAUSE's)
_CONTRACTED = ("do", "does", "did", "is", "are", "was", "were", "ca", "wo", "should", "would", "need", "must", "have", "has")
NEGATIONS = frozenset(
    """not no never none without cannot nicht kein keine keinen keinem keiner keines ohne pas sans sin sem
    senza non não niet geen zonder nie bez не нет без""".split()  # noqa: SIM905
) | {f"{w}n{a}t" for w in _CONTRACTED for a in ("'", "’", "")}
_TWO_WORD_NEGATIONS = {"instead": "of", "rather": "than"}
_NEGATING = NEGATIONS | _TWO_WORD_NEGATIONS.keys()
# [.!?](?:\s|$)|\n, written to open with one character set: the regex engine then skips to the candidates in C
# instead of trying each alternative at every position (a third of the time, the same matches; so _SENTENCE_END).
_FIRST_SENTENCE = re.compile(r"[.!?\n](?:(?<=\n)|\s|$)")
NEGATED_WORDS = 4
TITLE_WORDS = 12

CODE_BLOCK = "m|codeblock"
STACK_TRACE = "m|stacktrace"
LIST = "m|list"
COLON_LIST = "m|colonlist"
ARROWS = "m|arrows"
SHAPE_CHARS = 600
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)]|- \[[ x]\])\s+", re.MULTILINE)
_COLON_TAIL = re.compile(r"[:：]\s*([^\n]*)")
_SENTENCE_END = re.compile(r"[.!?。！？\n](?:(?<=\n)\n*|[.!?。！？]*(?:\s|$))")  # [.!?。！？]+(?:\s|$)|\n+
# The same on ASCII text, where "：" cannot occur: its search skips to each ":" in C (the set tried each position).
_COLON_TAIL_ASCII = re.compile(r":\s*([^\n]*)")
ASK_CHARS = 3000  # sentences are split from the first this many characters of prose
PREFIX_CHARS = 160  # a long sentence's first words are read from this many of its characters first
ASK_SENTENCES = 8  # sentences whose first word is a feature
ASK_VERBS = 4  # words after "please", "can you"... that are features
LAST_WORDS = 12
# "<a> <b> X": X is the ask ("can you X", "need to X", "help me X"); "please X", "lets X"; "how do I X".
_ASK_AFTER_PAIR = frozenset(
    {("can", "you"), ("could", "you"), ("would", "you"), ("will", "you"), ("need", "to"), ("want", "to"),
     ("like", "to"), ("have", "to"), ("help", "me"), ("how", "to"), ("going", "to"), ("trying", "to"), ("able", "to")}
)
_ASK_AFTER_WORD = frozenset({"please", "pls", "plz", "lets"})
_HOW_DO = frozenset({"do", "does", "can", "should", "would"})
_ASK_SKIPPED = STOPWORDS | {"you", "please", "help", "me"}
_ASK_ENDS = _ASK_AFTER_WORD | {b for _, b in _ASK_AFTER_PAIR} | {"i", "we", "you"}  # the last word of a trigger


@cache
def _token_pattern() -> re.Pattern[str]:
    """Words of any script, CJK runs as group 1: compiled on first non-ASCII text (~2 ms, most of this
    module's import; ASCII text never needs it)."""
    return re.compile(rf"([{_CJK}]+)|[^\W_{_CJK}]+")


def prose(text: str) -> str:
    """``text`` without fenced code (each fence becomes a space)."""
    return _FENCED.sub(" ", text) if "```" in text else text


def negated(text: str, toks: list[str] | None = None) -> list[str]:
    """The (non-stop) words within reach of a negation, up to the clause's end, with repeats. A caller that has
    ``tokens(text)`` passes them: an ASCII text none of whose words opens a negation then has none (the same list)."""
    if toks is not None and len(toks) < HEAD_TOKENS + TAIL_TOKENS and text.isascii() and _NEGATION_OPENS.isdisjoint(toks):
        return []  # (every word kept: a negation word, delimited by spaces or clause marks, starts with one of them)
    low = text.lower()
    if low.isascii() and "\0" not in low:  # all the words, each clause's end a "\0" word (one bytes.translate)
        every = low.encode().translate(_CLAUSE_ENDS).replace(b"\0", b" \0 ").decode().split()
        if NEGATIONS.isdisjoint(every) and _TWO_WORD_NEGATIONS.keys().isdisjoint(every):
            return []  # (most texts negate nothing)
        return _negated_in(every, "\0")
    every = low  # (str.translate's per-character dict lookups cost more than the replaces)
    for mark in _CLAUSE_BREAK_MARKS:
        every = every.replace(mark, " ")
    every = every.split()
    if NEGATIONS.isdisjoint(every) and _TWO_WORD_NEGATIONS.keys().isdisjoint(every):
        return []
    out: list[str] = []
    for clause in _CLAUSE.findall(low):
        words = clause.split()
        if not (NEGATIONS.isdisjoint(words) and _TWO_WORD_NEGATIONS.keys().isdisjoint(words)):
            out += _negated_in(words, None)
    return out


def _negated_in(words: list[str], end: str | None) -> list[str]:
    """The negated words of ``words``: a clause's, or a text's with each clause's ``end`` a word of its own."""
    out: list[str] = []
    for i in compress(count(), map(_NEGATING.__contains__, words)):  # (the negations' places, found in C)
        word = words[i]
        if word in NEGATIONS:
            scope = words[i + 1 : i + 1 + NEGATED_WORDS]
        elif _TWO_WORD_NEGATIONS[word] == (words[i + 1] if i + 1 < len(words) else None):
            scope = words[i + 2 : i + 2 + NEGATED_WORDS]
        else:
            continue
        if end is not None and end in scope:  # up to the clause's end
            scope = scope[: scope.index(end)]
        out.extend(t for t in tokens(" ".join(scope))[:NEGATED_WORDS] if t not in STOPWORDS)
    return out


def title_words(text: str) -> list[str]:
    """The (non-stop) words of the first sentence of the first non-blank line."""
    head = text.lstrip()[:400]
    end = _FIRST_SENTENCE.search(head)
    first = head[: end.start()] if end else head
    return [t for t in tokens(first)[:TITLE_WORDS] if t not in STOPWORDS]


def tokens(text: str) -> list[str]:
    """The words of ``text``, normalised, CJK runs split into characters and character pairs."""
    if text.isascii():  # fast path, same result: NFKC and casefold are identities/lower() on ASCII
        out = text.encode().translate(_ASCII_WORDS).decode().split()
    else:
        norm = _DIGIT.sub("0", unicodedata.normalize("NFKC", text).casefold())
        out = []
        for match in _token_pattern().finditer(norm):
            run = match.group(1)
            if run is None:
                out.append(match.group(0))
            else:
                out.extend(run)
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
    if len(out) > HEAD_TOKENS + TAIL_TOKENS:
        out = out[:HEAD_TOKENS] + out[-TAIL_TOKENS:]
    return out


# The first token of each ASCII negation word (as tokens() cuts "don't": "don").
_NEGATION_OPENS = frozenset(tokens(w)[0] for w in NEGATIONS | _TWO_WORD_NEGATIONS.keys() if w.isascii())


def is_cjk(token: str) -> bool:
    """True for tokens of the scripts split into characters (everything from U+3040 up)."""
    return token[0] >= "\u3040"


def char_ngrams(word: str, sizes: tuple[int, ...] = CHAR_NGRAM_SIZES) -> list[str]:
    """The character n-gram features of one word (none for short or CJK words)."""
    if len(word) < MIN_CHARGRAM_WORD or is_cjk(word):
        return []
    padded = f"<{word}>"
    return [f"c|{padded[i : i + n]}" for n in sizes for i in range(len(padded) - n + 1)]


def chargram_count(word: str) -> int:
    """len(char_ngrams(word)) without building them."""
    if len(word) < MIN_CHARGRAM_WORD or is_cjk(word):
        return 0
    return len(CHAR_NGRAM_SIZES) * len(word) + GRAM_COUNT_OFFSET


def word_pairs(toks: list[str]) -> list[str]:
    return [f"b|{a} {b}" for a, b in zip(toks, toks[1:], strict=False) if not (is_cjk(a) or is_cjk(b))]


def markers(text: str, body: str | None = None, toks: list[str] | None = None,
            title: list[str] | None = None) -> list[str]:
    """Code block and stack trace (from the whole text), and the shape of the ask (without code). A caller
    that has ``prose(text)``, its ``tokens`` and ``title_words`` already passes them (the same features)."""
    found = []
    if "```" in text or "\n    " in text:
        found.append(CODE_BLOCK)
    # (the hints of a trace, each tested in turn: a generator over them cost more than the tests)
    if ("raceback" in text or "at " in text or "xception in" in text or "panic:" in text) and _is_trace(text):
        found.append(STACK_TRACE)
    if body is None:
        body = prose(text)
    if body.strip():
        found.extend(shape(body))
        found.extend(ask(body, toks, title))
    return found


def ask(body: str, toks: list[str] | None = None, title: list[str] | None = None) -> list[str]:
    """The features of what is asked (see the module's docstring), from prose ``body`` (with its ``tokens`` and
    ``title_words``, if the caller has them)."""
    found = [f"m|asks: {verb}" for verb in ask_verbs(tokens(body) if toks is None else toks)]
    parts = [part for part in _SENTENCE_END.split(body[:ASK_CHARS]) if part.strip()]
    for part in parts[:ASK_SENTENCES]:
        if (opening := _opening(part)) is not None:
            found.append(f"m|sentence starts: {opening}")
    if len(parts) > 1:
        found.extend(f"m|last sentence: {t}" for t in _first_tokens(parts[-1], LAST_WORDS) if t not in STOPWORDS)
    questions = body.count("?") + body.count("？")
    found.append(f"m|questions: {min(questions, 2)}")
    if body.rstrip().endswith(("?", "？")):
        found.append("m|ends with ?")
    if title is None:
        title = title_words(body)
    found.extend(f"m|title: {a} {b}" for a, b in zip(title, title[1:], strict=False))
    return found


def _first_tokens(text: str, n: int) -> list[str]:
    """``tokens(text)[:n]``, an ASCII text's read from its start only when that holds them (tokens() keeps its first
    HEAD_TOKENS, more than ``n``; a word cut at the prefix's end is the (n+1)th or later)."""
    if len(text) > PREFIX_CHARS and n < HEAD_TOKENS and text.isascii():
        head = text[:PREFIX_CHARS].encode().translate(_ASCII_WORDS).decode().split()
        if len(head) > n:
            return head[:n]
    return tokens(text)[:n]


def _opening(sentence: str) -> str | None:
    """The first non-stop word of ``sentence``, tokenising only up to it (a token never spans a space)."""
    if len(sentence) > PREFIX_CHARS and sentence.isascii():  # its start first: a long sentence's words are many
        words = sentence[:PREFIX_CHARS].encode().translate(_ASCII_WORDS).decode().split()
        first = next(filterfalse(STOPWORDS.__contains__, words), None)
        # (the last word of the start may be cut; any other is whole, at the place it has in the whole sentence)
        if first is not None and words.index(first) < min(len(words) - 1, HEAD_TOKENS):
            return first
    if sentence.isascii():  # one translate of the whole sentence: the words of its chunks, in order, uncut
        words = sentence.encode().translate(_ASCII_WORDS).decode().split()
        first = next(filterfalse(STOPWORDS.__contains__, words), None)
        # Among the first HEAD_TOKENS words, it is where its chunk's tokens() keeps it; later, tokens() may cut it.
        if first is None or words.index(first) < HEAD_TOKENS:
            return first
    for chunk in sentence.split():
        for tok in tokens(chunk):
            if tok not in STOPWORDS:
                return tok
    return None


def ask_verbs(toks: list[str]) -> list[str]:
    """The first non-stop word after each "please", "can you", "need to", "how do I"... (at most ``ASK_VERBS``)."""
    out: list[str] = []
    if _ASK_ENDS.isdisjoint(toks):  # no trigger's last word, no ask: the words are not read one by one
        return out
    for i in compress(count(), map(_ASK_ENDS.__contains__, toks)):  # (only the triggers' last words, found in C)
        tok = toks[i]
        if not (
            tok in _ASK_AFTER_WORD
            or (i and (toks[i - 1], tok) in _ASK_AFTER_PAIR)
            or (i > 1 and toks[i - 2] == "how" and toks[i - 1] in _HOW_DO and tok in ("i", "we", "you"))
        ):
            continue
        verb = next((t for t in toks[i + 1 :] if t not in _ASK_SKIPPED), None)
        if verb is not None:
            out.append(verb)
            if len(out) == ASK_VERBS:
                break
    return out


def _is_trace(text: str) -> bool:
    if text.isascii():  # (a case-insensitive regex over the whole text cost ~25 us on a long one)
        low = text.lower()
        named = "traceback (most recent" in low or "exception in thread" in low or "panic:" in low  # _TRACE_WORDS
    else:  # the regex's case folding: 'ſ' matches s, 'ı' and 'İ' i, which lower() leaves
        named = _TRACE_FOLDED.search(text) is not None
    # A frame opens a line with spaces (the first, or one after a newline) and holds a "(": without both, the
    # pattern cannot match, and is not tried at every position of the text.
    return named or ("(" in text and (
        (text[:1].isspace() and _TRACE_FRAME.match(text) is not None)
        or ("\n" in text and _TRACE_FRAME_AFTER_NEWLINE.search(text) is not None)))


def shape(body: str) -> list[str]:
    """How many parts the ask has: a request listing several pieces of work ("the API, the UI, the
    docs, then...") reads differently from a single change. Punctuation near the start (``SHAPE_CHARS``)
    falls in a bucket; lists of 3+ items and colon-introduced enumerations get a marker each."""
    head = body[:SHAPE_CHARS]
    commas = head.count(",") + head.count(";") + head.count("，") + head.count("、") + head.count("；")
    found = [f"m|commas{'0' if commas <= 0 else '1' if commas <= 2 else '3' if commas <= 4 else '5'}"]  # buckets
    # (3 items open 3 lines, 2 of them after a newline: without 2 newlines the pattern is not tried at every position)
    if body.count("\n") >= 2 and len(_LIST_ITEM.findall(body)) >= 3:
        found.append(LIST)
    colon = (_COLON_TAIL_ASCII if head.isascii() else _COLON_TAIL).search(head)
    if colon and sum(colon.group(1).count(mark) for mark in ",，、") >= 2:
        found.append(COLON_LIST)
    if "->" in head or "→" in head:
        found.append(ARROWS)
    return found


def features(text: str, common: frozenset[str] | set[str] | None = None) -> list[str]:
    """Every feature occurrence of ``text`` (with repeats): the training-time view. With ``common``
    (the words that have their own row), only the other words yield character n-grams."""
    body = prose(text)
    toks = tokens(body)
    feats: list[str] = []
    for tok in toks:
        if tok in STOPWORDS:
            continue
        feats.append(f"w|{tok}")
        if common is None or tok not in common:
            feats.extend(char_ngrams(tok))
    feats.extend(word_pairs(toks))
    if toks:
        feats.append(f"f|{toks[0]}")
    feats.extend(f"n|{w}" for w in negated(body))
    feats.extend(f"t|{w}" for w in title_words(body))
    feats.extend(markers(text))
    return feats


def scale(n_features: int) -> float:
    """Each feature occurrence counts 1/sqrt(n): long texts don't get more confident by length alone."""
    return 1.0 / (n_features**0.5) if n_features else 0.0
