"""router_core.decision exports the batch plan's records, created only when a batch is planned."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_batch_records_are_exported_from_decision():
    import router_core.batch_decision as batch
    import router_core.decision as decision

    assert decision.BatchPlan is batch.BatchPlan
    assert decision.BatchItemPlan is batch.BatchItemPlan
    assert decision.ProviderBatchPlan is batch.ProviderBatchPlan
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = decision.Nope


def test_serving_and_routing_do_not_create_the_batch_records():
    code = (
        "import sys; import server.app, router_core.core, router_core.records, tools; "
        "print('router_core.batch_decision' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
