"""Fixtures of the learning tests: the shipped model and its evaluation set, loaded once per module."""

from __future__ import annotations

import pytest

from router_core.classifier.trained import TrainedClassifier, load_eval


@pytest.fixture(scope="module")
def base() -> TrainedClassifier:
    return TrainedClassifier.load()


@pytest.fixture(scope="module")
def eval_items() -> list[dict]:
    return load_eval()
