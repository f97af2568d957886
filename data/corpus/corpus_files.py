"""Which corpus files train the classifier and which are held out: one list for every script and test.

Files are listed by name, so a set being written does not enter training (or the tests) until
it is added here and the weights are retrained.
"""

from __future__ import annotations

HAND_FILES = ("handwritten.jsonl", "issues_a.jsonl", "issues_b.jsonl", "issues_c.jsonl")
TRAIN_FILES = (*HAND_FILES, "generated.jsonl")
HELDOUT_FILES = ("heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl", "heldout_issues_a.jsonl", "heldout_issues_b.jsonl", "heldout_issues_c.jsonl")
GENERATED_ID_PREFIX = "g-"  # every other id is hand-written
