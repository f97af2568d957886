"""What hosts and users send, checked before routing (router_core/inputs.py)."""

from __future__ import annotations

import pytest

from router_core.errors import InvalidRequest
from router_core.inputs import MAX_LABEL_CHARS, surrogates_replaced, validate_label, validate_task


@pytest.mark.parametrize("task", ["\x00", "\x01\x02", "\u200b\u200b", " \u200b\n\t", "\ufeff"])
def test_a_task_with_nothing_visible_is_refused(task):
    with pytest.raises(InvalidRequest, match="task is empty"):
        validate_task(task)


def test_a_task_keeps_its_text_and_loses_half_characters():
    assert validate_task("  fix the 😀 parser \x00 now \ud83d ") == "fix the 😀 parser \x00 now \ufffd"


@pytest.mark.parametrize(("label", "expected"), [
    ("acme/api", "acme/api"),
    ("  acme/api\n", "acme/api"),
    ("repo-\udcff", "repo-\ufffd"),  # a command line's byte that was not UTF-8
    ("a\tb\x00c\nd", "a b c d"),  # one line, no control characters
    ("  \n", None),
    (None, None),
])
def test_labels_are_one_line_of_storable_text(label, expected):
    assert validate_label(label, "repo") == expected


def test_a_label_too_long_or_not_a_string_is_refused_with_its_name():
    with pytest.raises(InvalidRequest, match=f"repo is 1,048,576 characters; the limit is {MAX_LABEL_CHARS}"):
        validate_label("x" * 2**20, "repo")
    with pytest.raises(InvalidRequest, match="task_id must be a string, got int"):
        validate_label(7, "task_id")  # type: ignore[arg-type]


def test_surrogates_replaced_leaves_whole_characters():
    assert surrogates_replaced("ok 😀 \ud83d\ude00") == "ok 😀 \ufffd\ufffd"  # a str never pairs surrogates
    assert surrogates_replaced("plain") == "plain"


def test_repo_and_ids_reach_the_audit_log_as_clean_text(keyword_core):
    keyword_core.decide("Fix the login bug", repo="acme/\udcff\nx", task_id="t-\ud800")
    line = keyword_core.audit.tail(1)[0]
    assert (line["repo"], line["task_id"]) == ("acme/\ufffd x", "t-\ufffd")
    keyword_core.plan_batch([("b-\udcff", "Write tests for the parser")])
    assert keyword_core.audit.tail(1)[0]["task_id"] == "b-\ufffd"


def test_an_oversized_repo_or_batch_id_is_refused_before_anything_is_written(keyword_core):
    with pytest.raises(InvalidRequest, match="repo is 1,048,576 characters"):
        keyword_core.decide("Fix the login bug", repo="x" * 2**20)
    with pytest.raises(InvalidRequest, match=r"task 2 \(index 1\): id is 600 characters"):
        keyword_core.plan_batch([("a", "Write tests"), ("i" * 600, "Fix the bug")])
    assert keyword_core.audit.tail(5) == []


def test_two_tasks_of_a_batch_with_one_id_are_refused_before_anything_is_written(keyword_core):
    # Results and audit lines name tasks by id: two "a"s could not be told apart.
    with pytest.raises(InvalidRequest, match=r"tasks 1 and 3 \(index 0 and 2\) have the same id 'a'"):
        keyword_core.plan_batch([("a", "Write tests"), ("b", "Fix the bug"), ("a", "Explain OAuth2")])
    assert keyword_core.audit.tail(5) == []


def test_a_made_id_never_takes_an_id_a_task_was_given(keyword_core):
    batch = keyword_core.prepare_batch([(None, "Write tests"), ("task-2", "Fix the bug"), (None, "Explain OAuth2"),
                                        ("task-2-2", "Document the API")])
    assert [t.task_id for t in batch] == ["task-0", "task-2", "task-2-3", "task-2-2"]
