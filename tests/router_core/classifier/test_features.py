"""Tokenisation in classifier features: the non-ASCII path (its pattern is compiled on first use)."""

from __future__ import annotations

import re

import pytest

from router_core.classifier import features as F


def test_cjk_runs_become_characters_and_character_pairs():
    assert F.tokens("修复登录 bug") == ["修", "复", "登", "录", "修复", "复登", "登录", "bug"]


def test_non_ascii_words_are_normalised_and_split_on_punctuation():
    assert F.tokens("Réparer l'API v2 ＡＢＣ") == ["réparer", "l", "api", "v0", "abc"]


def test_ascii_fast_path_matches_the_general_path():
    text = "Fix the Python3 login bug, then add_tests for it"
    # A trailing non-ASCII space takes the general path; it is no word, so both must agree.
    assert F.tokens(text) == F.tokens(text + "\u00a0")


def test_the_ascii_fast_path_reads_every_ascii_character_as_the_general_path_does():
    every = "".join(map(chr, range(128)))
    assert F.tokens(every) == F.tokens(every + "\u00a0") == ["0000000000", *["abcdefghijklmnopqrstuvwxyz"] * 2]
    assert F.tokens("Fix_the BUG-42 in v1.10") == ["fix", "the", "bug", "00", "in", "v0", "00"]


@pytest.mark.parametrize("text", ["at x\nTraceback (moſt recent call last):", "look at this\nexceptıon in thread main",
                                  "look at this\nPANİC: boom"])
def test_a_stack_trace_is_found_with_the_letters_case_folding_matches(text):
    # ſ matches s, ı and İ match i in a case-insensitive search (as training saw them), though lower() keeps them.
    assert F.STACK_TRACE in F.markers(text)


def test_the_ask_yields_features_of_its_own_apart_from_the_topic():
    text = "Login fails on Safari\nCould you please fix the redirect? We need to add a test. How do I run it?"
    assert set(F.ask(F.prose(text))) <= set(F.features(text))
    assert F.ask(F.prose(text)) == [
        "m|asks: fix", "m|asks: fix", "m|asks: add", "m|asks: run",  # after "could you", "please", "need to", "how do I"
        "m|sentence starts: login", "m|sentence starts: please", "m|sentence starts: need", "m|sentence starts: how",
        "m|last sentence: how", "m|last sentence: run",
        "m|questions: 2", "m|ends with ?",
        "m|title: login fails", "m|title: fails safari",
    ]


def test_a_one_sentence_ask_has_no_last_sentence_feature_and_counts_no_question():
    assert F.ask("fix the login redirect") == [
        "m|sentence starts: fix", "m|questions: 0", "m|title: fix login", "m|title: login redirect",
    ]


@pytest.mark.parametrize("text", [
    "Login fails on Safari\nCould you please fix the redirect? We need to add a test. How do I run it?",
    "```\ncode only\n```", "   ", "修复登录 bug。然后 add tests", "Traceback (most recent call last):\n  at a.b.C(x)",
])
def test_markers_given_the_prose_its_words_and_title_are_the_markers_of_the_text(text):
    # Scoring (model.evidence) has the three already and passes them: the features must be the same.
    body = F.prose(text)
    toks = F.tokens(body)
    assert F.markers(text, body, toks, F.title_words(body) if toks else []) == F.markers(text)


TRICKY = ["", "a", "end.", "a. b", "a.b", "a!? b", "a?!\n\nb", "one\ntwo\n\n\nthree.", "why?", "wow!!! ok", "x.\n",
          "你好。再见！好吗？", "a..", "a .. b", ". \n.", "\n", "a\r\nb", "v1.2 works. really", "a.\u00a0b", "a!)"]


@pytest.mark.parametrize("text", TRICKY)
def test_the_sentence_patterns_match_where_their_plain_forms_do(text):
    # They open with one character set, for speed: the splits and the first sentence must be those of the plain forms.
    assert F._SENTENCE_END.split(text) == re.compile(r"[.!?。！？]+(?:\s|$)|\n+").split(text)
    if text.isascii():  # (the colon of ASCII text is found by the pattern without "："; the tails must be the same)
        assert F._COLON_TAIL_ASCII.findall(f"x: {text}:{text}") == F._COLON_TAIL.findall(f"x: {text}:{text}")
    plain = re.compile(r"[.!?](?:\s|$)|\n").search(text)
    found = F._FIRST_SENTENCE.search(text)
    assert (found and found.span()) == (plain and plain.span())


@pytest.mark.parametrize(("text", "trace"), [
    ("  at com.example.Main(Main.java:3)", True), ("boom\n\tat a.b.C(x)", True), ("boom\n\n  AT a.b$c(", True),
    ("look at this (please)", False), ("look at this\nand a.b(", False), ("\u00a0at a.b(x)", True),
])
def test_a_frame_is_found_at_the_start_of_any_line_only(text, trace):
    # _is_trace tries the frame pattern only on text with a "(" and a line that can open with spaces.
    assert F._is_trace(text) is trace


def test_a_frame_is_found_where_the_one_multiline_pattern_finds_it():
    # _is_trace searches a frame after the first line from its "\n" (a literal the engine skips to), the first line's
    # by match(): the same texts as one ^-anchored MULTILINE search over the whole text.
    import random

    frame = re.compile(r"^\s+[aA][tT] [\w.$]+\(", re.MULTILINE)
    pieces = ["\n", " ", "\t", "\r", "\u2028", "\x85", "\u00a0", "at ", "At ", "aT ", "a.b", "$", "é", "(", "x", "\n\n"]
    rnd = random.Random(4)
    for _ in range(20_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 10)))
        assert F._is_trace(text) is (frame.search(text) is not None), repr(text)
