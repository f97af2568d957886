"""A credential pasted into a task reaches neither the audit log nor the correction store, in any form.

The trained classifier explains itself by quoting the words that decided; a key's fragments must not be
among them (core.py classifies the text with credentials dropped), and the audit line's secret test,
which reads only the decision's external strings (records.external_strings), must still catch the key.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from router_core.core import DB_FILENAME, RouterCore

KEY = "sk-proj-Q7abcdefghijklmnopqrstuvWXyz0123456789"
# What the classifier's tokenizer would make of the key's body: lower case, digits as zeros.
FRAGMENTS = ("q0abcdefghijklmnopqrstuvwxyz0000000000", "abcdefghijklmnop", "wxyz0000")


@pytest.fixture
def core(settings, clock) -> RouterCore:
    return RouterCore.build(settings, clock=clock)  # the default (trained, learning) classifier


def _audit_text(core: RouterCore) -> str:
    return "\n".join(p.read_text() for p in sorted(core.audit.directory.glob("*.jsonl")))


def test_a_key_in_the_task_is_neither_quoted_by_the_reasons_nor_written_to_the_log(core):
    d = core.decide(f"Fix the config loader: it logs {KEY} at startup", repo="acme/api")
    assert d.classification.classifier == "trained"
    assert not any(f in r.lower() for r in d.classification.reasons for f in FRAGMENTS), d.classification.reasons
    written = _audit_text(core)
    assert KEY not in written and not any(f in written.lower() for f in FRAGMENTS)
    line = json.loads(written.splitlines()[-1])
    assert line["task_description"] == "Fix the config loader: it logs [redacted] at startup"
    assert line["repo"] == "acme/api"


def test_the_key_does_not_change_the_routing(core):
    plain = core.decide("Fix the config loader: it logs the key at startup")
    with_key = core.decide(f"Fix the config loader: it logs the key {KEY} at startup")
    assert with_key.classification.all_scores == plain.classification.all_scores


@pytest.mark.parametrize("field", ["repo", "task_id"])
def test_a_key_in_any_external_field_sends_the_line_through_redaction(core, field):
    core.decide("Write unit tests for the parser", **{field: KEY})
    assert KEY not in _audit_text(core)


def test_a_clean_decision_is_written_exactly_as_recorded(core):
    d = core.decide("Write unit tests for the parser")
    line = json.loads(_audit_text(core).splitlines()[-1])
    assert line["task_description"] == d.task
    assert line["task_classification"]["reasons"] == list(d.classification.reasons)


def test_feedback_stores_the_task_without_the_key(core, settings):
    core.record_feedback(f"Refactor the client that sends {KEY}", routed_provider="codex", correct_provider="claude")
    dump = "\n".join(sqlite3.connect(settings.state_dir / DB_FILENAME).iterdump())
    assert "Refactor the client that sends" in dump
    assert KEY not in dump and not any(f in dump.lower() for f in FRAGMENTS)


@pytest.mark.parametrize("task", [f"rotate key {KEY} now", "rotate key [redacted] now"])
def test_a_correction_of_a_task_holding_a_key_applies_to_that_task(core, task):
    # The store keeps "[redacted]" where the key was, the classifier reads the task with the key dropped: the
    # marker's word and n-grams took a short task's similarity to its own correction below 0.7 (0.67 here).
    # A task already redacted (a log pasted from the audit) matches its correction as well.
    assert core.decide(task, audit=False).classification.primary_provider == "codex"
    learned, reason = core.record_feedback(task, routed_provider="codex", correct_provider="claude")
    assert learned, reason
    after = core.decide(task, audit=False).classification
    assert after.primary_provider == "claude", after.reasons
    assert after.reasons[0].startswith("correction #1 (similarity 1.00)"), after.reasons


def test_a_key_anywhere_in_an_execution_outcome_is_caught_by_its_external_strings(core):
    from router_core.execution.results import Attempt, TaskOutcome
    from router_core.records import (
        audit_record,
        execution_metrics,
        external_strings,
        outcome_external_strings,
    )

    d = core.decide("Write unit tests for the parser", audit=False)
    said = f"upstream said: {KEY}"
    outcome = TaskOutcome(
        d.task_id, "failed", 0.0, 1.0, provider="codex", model=said, backend="api", error=said,
        attempts=(Attempt("codex", "server_error", model=said, error=said, status_code=500),),
    )
    record = audit_record(d, session_id="s", event="dispatch")
    record["execution_metrics"] = execution_metrics(outcome)
    core.audit.append(record, external=external_strings(d) + outcome_external_strings(outcome))
    written = _audit_text(core)
    assert "upstream said: [redacted]" in written and KEY not in written


# The sweep's text (a2_learning.py): one of each family that used to reach SQLite and the audit log.
STRIPE = "sk_live_51Hx" + "abcdEFGH1234" * 3
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
URL_PASSWORD = "hunter2hunter2"
MIXED = (
    f"fix the auth bug; stripe {STRIPE} aws_secret_access_key={AWS_SECRET} jwt {JWT}"
    f" clone https://user:{URL_PASSWORD}@internal.example.com/repo.git"
)
MIXED_SECRETS = (STRIPE, AWS_SECRET, JWT, URL_PASSWORD)


def test_feedback_stores_no_stripe_aws_jwt_or_url_password(core, settings):
    core.record_feedback(MIXED, routed_provider="codex", correct_provider="claude")
    dump = "\n".join(sqlite3.connect(settings.state_dir / DB_FILENAME).iterdump())
    assert "fix the auth bug" in dump and "https://user:" in dump and "@internal.example.com/repo.git" in dump
    for secret in MIXED_SECRETS:
        assert secret not in dump, secret


def test_a_decision_logs_no_stripe_aws_jwt_or_url_password(core):
    d = core.decide(MIXED, repo="acme/api")
    written = _audit_text(core)
    for secret in MIXED_SECRETS:
        assert secret not in written, secret
        assert not any(secret[:16].lower() in r.lower() for r in d.classification.reasons), d.classification.reasons
    line = json.loads(written.splitlines()[-1])
    assert "clone https://user:[redacted]@internal.example.com/repo.git" in line["task_description"]


def test_a_key_stored_in_clear_by_an_older_version_is_redacted_on_upgrade(settings, clock, monkeypatch):
    # Corrections recorded before record_feedback redacted (or before it knew a kind of key) kept it in clear:
    # in the file, in `feedback list` and in the reasons that quote a correction.
    from router_core.store import db as db_module
    from router_core.store.db import Database
    from router_core.store.schema import MIGRATIONS

    path = settings.state_dir / DB_FILENAME
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:10])
        old = Database(path)
        with old.transaction() as conn:
            for text in (f"rotate the leaked key {KEY} in staging", MIXED, "summarize the quarterly board deck"):
                conn.execute("INSERT INTO classifier_corrections (created_at, text, routed_provider, correct_provider,"
                             " task_type, holder) VALUES (1.0, ?, 'codex', 'claude', NULL, 'old')", (text,))
        old.close()
    core = RouterCore.build(settings, clock=clock)
    texts = [r.correction.text for r in core.feedback_corrections()]
    assert texts == ["rotate the leaked key [redacted] in staging", texts[1], "summarize the quarterly board deck"]
    core.db.close()
    raw = path.read_bytes() + b"".join(p.read_bytes() for p in path.parent.glob(f"{DB_FILENAME}-wal"))
    for secret in (KEY, *MIXED_SECRETS):
        assert secret not in texts[1] and secret.encode() not in raw, secret


def test_a_key_in_a_providers_quota_message_is_not_in_the_hold_shown_by_later_decisions(core, clock):
    # A hold's reason quotes the provider's message (or a CLI's stderr); every later decision shows it as the
    # provider's block, in the audit line's provider state and reason, whose secret test reads only the
    # decision's external strings, and in the usage resources.
    said = f"quota exhausted: codex said Authorization: Bearer {KEY} has no quota left"
    core.execution_state.holds.hold("codex", "quota", clock.now() + 600, said)
    d = core.decide("Write unit tests for the parser")
    assert d.availability["codex"].blocks[0].reason == "quota exhausted: codex said Authorization: Bearer [redacted] has no quota left"
    written = _audit_text(core)
    assert "Bearer [redacted] has no quota left" in written and KEY not in written


def test_a_key_in_the_error_that_opens_an_outage_is_stored_and_shown_redacted(core, caplog):
    # The circuit stored the last error in clear (execution_circuits.last_error), logged it in the outage warning
    # and every later decision showed it as the provider's block; and it was cut to 500 characters before any
    # redaction, so a key across the cut left a piece too short to be recognised.
    state = core.execution_state
    error = "x" * 440 + f" upstream said Authorization: Bearer {KEY} is over quota"  # the key across character 500
    with caplog.at_level("WARNING"):
        for _ in range(state.circuits.threshold):
            state.circuits.record_failure("codex", error)
    stored = core.db.connection().execute("SELECT last_error FROM execution_circuits").fetchone()[0]
    assert KEY not in stored and KEY[:12] not in stored and "[redacted]" in stored
    assert KEY not in caplog.text
    d = core.decide("Write unit tests for the parser")
    assert KEY[:12] not in " ".join(b.reason for b in d.availability["codex"].blocks)


@pytest.mark.parametrize(("schema", "stored", "expected"), [
    # Schema 11 redacted corrections once, with the patterns of its day: a DB_PASS= or a SendGrid key stayed in clear.
    (11, "mail fails with DB_PASS=S3cr3tpass1 and SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
     "mail fails with DB_PASS=[redacted] and [redacted]"),
    # Schema 12's patterns knew no "Authorization: Token", no "--password <value>".
    (12, "401 with Authorization: Token 9944b09199c62bcf9418 and psql --password Hunter2pw",
     "401 with Authorization: Token [redacted] and psql --password [redacted]"),
])
def test_keys_redaction_learned_after_a_schema_are_redacted_on_upgrade_from_it(settings, clock, monkeypatch, schema,
                                                                              stored, expected):
    from router_core.store import db as db_module
    from router_core.store.db import Database
    from router_core.store.schema import MIGRATIONS

    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:schema])
        old = Database(settings.state_dir / DB_FILENAME)
        with old.transaction() as conn:
            conn.execute("INSERT INTO classifier_corrections (created_at, text, routed_provider, correct_provider,"
                         " task_type, holder) VALUES (1.0, ?, 'codex', 'claude', NULL, 'old')", (stored,))
        old.close()
    core = RouterCore.build(settings, clock=clock)
    [text] = [r.correction.text for r in core.feedback_corrections()]
    assert text == expected


def test_the_task_text_is_tested_for_secrets_once_per_decision_and_another_text_always(core, monkeypatch):
    """The test before classifying answers for the audit line's test of the same task text (the very same
    string: redact remembers the latest clean text by identity); any other text, even an equal copy, is read."""
    from router_core import redact

    seen: list[str] = []
    real = redact._may_hold_secret
    monkeypatch.setattr(redact, "_may_hold_secret", lambda text: seen.append(text) or real(text))
    task = "Write unit tests for the CSV parser and the pagination helper"
    core.decide(task, repo="acme/api")
    assert seen.count(task) == 1
    assert redact.may_hold_secret("".join(["Write unit tests for the CSV parser ", f"and the key {KEY}"]))
    copy = "".join([task[:10], task[10:]])
    assert copy is not task and not redact.may_hold_secret(copy) and seen.count(task) == 2
    assert not redact.may_hold_secret(copy) and seen.count(task) == 2  # the same object again
    assert not redact.may_hold_secret("") and "" not in seen
