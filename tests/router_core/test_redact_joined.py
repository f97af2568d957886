"""any_may_hold_secret tests a record's outside strings joined in one text: it must fire whenever the precheck
fires on any of them alone (so whenever the scrub would change one), wherever the string sits among the others."""

from __future__ import annotations

import random

import pytest

from router_core.redact import any_may_hold_secret, clean, may_hold_secret
from tests.router_core.test_redact import _PIECES, ORDINARY, SECRETS

_AROUND = ["task-1a2b3c4d5e6f", "", "code-generator", "gpt-5.1-codex",
           "provider specialty (codex) + task type (code_generation) + words (implement)"]


@pytest.mark.parametrize(("text", "secret", "kept"), SECRETS, ids=[s[1][:24] for s in SECRETS])
def test_a_secret_among_a_records_strings_is_found_wherever_it_sits(text, secret, kept):
    for at in range(len(_AROUND) + 1):
        assert any_may_hold_secret([*_AROUND[:at], text, *_AROUND[at:]]), at


def test_strings_with_nothing_secret_pass_joined():
    assert not any_may_hold_secret(_AROUND)
    assert not any_may_hold_secret([])
    assert not any_may_hold_secret(["", ""])


@pytest.mark.parametrize("seed", [20240611, 7])
def test_joined_strings_never_miss_what_the_precheck_finds_in_one_of_them(seed):
    """Random strings from the patterns' pieces, a few to a record: when the precheck fires on one of them alone
    (always, where the scrub would change it), it fires on them together. The pieces put a string's end right
    after a key, a sign or a credential's first characters, where the next string's start meets it."""
    rng = random.Random(seed)
    found = 0
    for _ in range(10_000):
        texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(2, 5))]
        if any(may_hold_secret(t) for t in texts):
            found += 1
            assert any_may_hold_secret(texts), texts
        if any(clean(t) != t for t in texts):
            assert any_may_hold_secret(texts), texts
    assert found > 1_000


def test_ordinary_texts_joined_are_mostly_left_to_the_fast_path():
    typical = [t for t in ORDINARY if not may_hold_secret(t)]
    assert not any_may_hold_secret(typical[:3] + _AROUND)
