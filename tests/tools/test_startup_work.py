"""What serving costs before the first call: the tools' output models wait until they are used."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.checkout import checkout_env

CHECK = """
import json, sys
import tools.registry as tools
from tools.schemas import BudgetOut, ClassificationOut, RecommendationRecordOut
before = {m.__name__: m.__pydantic_complete__ for m in (BudgetOut, ClassificationOut, RecommendationRecordOut)}
execution_loaded = any(name.startswith("router_core.execution.results") for name in sys.modules)
schemas = tools.output_schemas()
after = {m.__name__: m.__pydantic_complete__ for m in (BudgetOut, ClassificationOut, RecommendationRecordOut)}
print(json.dumps({"before": before, "after": after, "execution": execution_loaded, "tools": sorted(schemas)}))
"""


def test_output_models_are_built_on_first_use_and_execution_results_are_not_imported():
    out = subprocess.run([sys.executable, "-c", CHECK], env=checkout_env(os.environ), capture_output=True, text=True,
                         check=True).stdout
    seen = json.loads(out)
    assert not any(seen["before"].values())
    assert all(seen["after"].values())
    assert seen["execution"] is False
    assert seen["tools"] == sorted(
        ["classify_task", "recommend_provider", "dispatch_agent", "run_batch", "get_budget", "record_usage",
         "record_feedback"]
    )
