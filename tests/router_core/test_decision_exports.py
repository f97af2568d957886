"""router_core.decision exports the batch plan's records, created only when a batch is planned."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.checkout import checkout_env


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
    out = subprocess.run([sys.executable, "-c", code], env=checkout_env(os.environ), capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_a_decision_with_its_lease_is_the_decision_replace_makes(keyword_core):
    """dispatch attaches the lease taken with the first reservation by with_lease: every field as
    dataclasses.replace sets them (the renderings start empty, as they describe a new object)."""
    import dataclasses

    decision = keyword_core.decide("Implement a JWT login endpoint in Flask", repo="shop", task_id="t-1", audit=False)
    decision.rendered["provider_states"] = {}
    leased = decision.with_lease("lease-1")
    expected = dataclasses.replace(decision, lease_id="lease-1")
    assert leased == expected
    assert all(getattr(leased, f.name) is getattr(expected, f.name) for f in dataclasses.fields(decision)
               if f.name not in ("lease_id", "rendered"))
    assert leased.lease_id == "lease-1" and leased.rendered == {} and decision.lease_id is None
