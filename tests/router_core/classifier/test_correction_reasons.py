"""The reasons of a text a correction routes: the correction, then what the model alone would have said and why,
not the model's numbers and features for a type the correction chose."""

from __future__ import annotations

from router_core.classifier.corrections import MemoryCorrectionStore
from router_core.classifier.learning import LearningClassifier

TEXT = "summarize the quarterly board deck for the sales team"


def test_a_corrected_text_gives_the_models_own_reasons_as_what_it_would_have_said(base, eval_items):
    # Seen by hand: a text corrected to codex/debugging read "task type debugging (0%), provider codex (100%)",
    # then "'questions: 0' -> debugging +0.28", "'commas0' -> debugging +0.22": the model's slight evidence for a
    # type it gave 0%, shown as if it had decided, and no word of where the text went without the correction.
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    alone = base.classify(TEXT)
    assert learner.record(TEXT, alone.primary_provider, "codex", "debugging").accepted
    after = learner.classify(TEXT)
    assert (after.primary_provider, after.task_type) == ("codex", "debugging")
    assert after.reasons[0].startswith("correction #1 (similarity 1.00) routes")
    assert after.reasons[1:] == (f"without the correction: {alone.reasons[0]}", *alone.reasons[1:])
