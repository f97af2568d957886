"""slot_init keeps every dataclass behaviour: each record built with it is compared with its plain twin."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import FrozenInstanceError, InitVar, dataclass, field

import pytest

from router_core import budget, capacity_view, decision, models, shared_state
from router_core.execution import attempts, circuit, dispatch, executor, pacing, plan, results, state
from router_core.providers import base
from router_core.slot_init import slot_init
from router_core.store import snapshot_cache


def _record_class(name: str) -> type:
    """The same record, a fresh class per call, named ``name`` (pickle finds it by that name in this module)."""

    @dataclass(frozen=True, slots=True)
    class Rec:
        name: str
        count: int
        ratio: float = 0.5
        tags: list[str] = field(default_factory=list)
        note: str | None = None
        seen: int = field(default=7, init=False)
        history: list[int] = field(default_factory=lambda: [1], init=False, compare=False)
        doubled: int = field(init=False, repr=False, compare=False)

        def __post_init__(self) -> None:
            if self.count < 0:
                raise ValueError("count must be >= 0")
            object.__setattr__(self, "doubled", self.count * 2)

    Rec.__name__ = Rec.__qualname__ = name
    return Rec


Plain = _record_class("Plain")
Fast = slot_init(_record_class("Fast"))


def _both(*args, **kwargs):
    return Plain(*args, **kwargs), Fast(*args, **kwargs)


def test_the_init_is_replaced_and_sets_no_field_through_object_setattr():
    assert "__setattr__" in Plain.__init__.__code__.co_names
    assert "__setattr__" not in Fast.__init__.__code__.co_names


@pytest.mark.parametrize("args, kwargs", [
    (("a", 1), {}),
    (("a", 1, 0.25, ["x"], "n"), {}),
    (("a",), {"count": 3, "note": "k"}),
    ((), {"name": "b", "count": 0, "tags": ["y", "z"], "ratio": 2.0}),
])
def test_values_defaults_and_derived_fields_are_the_dataclass_ones(args, kwargs):
    plain, fast = _both(*args, **kwargs)
    assert repr(fast) == repr(plain).replace("Plain(", "Fast(")
    assert dataclasses.asdict(fast) == dataclasses.asdict(plain)
    assert dataclasses.astuple(fast) == dataclasses.astuple(plain)
    assert (fast.seen, fast.history, fast.doubled) == (plain.seen, plain.history, plain.doubled) == (7, [1], fast.count * 2)


def test_the_signature_is_the_dataclass_one():
    assert str(inspect.signature(Fast)) == str(inspect.signature(Plain))
    assert Fast.__match_args__ == Plain.__match_args__


def test_each_instance_gets_its_own_factory_values():
    a, b = Fast("a", 1), Fast("b", 2)
    assert a.tags == [] and a.tags is not b.tags
    assert a.history == [1] and a.history is not b.history
    given = ["t"]
    assert Fast("c", 3, tags=given).tags is given


def test_wrong_arguments_raise_type_error_as_before():
    for args, kwargs in [((), {}), (("a",), {}), (("a", 1, 0.5, [], None, 9), {}), (("a", 1), {"seen": 3}),
                         (("a", 1), {"name": "b"}), (("a", 1), {"bogus": 1})]:
        with pytest.raises(TypeError):
            Plain(*args, **kwargs)
        with pytest.raises(TypeError):
            Fast(*args, **kwargs)


def test_post_init_validates():
    with pytest.raises(ValueError, match="count must be >= 0"):
        Fast("a", -1)
    with pytest.raises(ValueError, match="count must be >= 0"):
        dataclasses.replace(Fast("a", 1), count=-1)


def test_still_frozen_after_construction():
    fast = Fast("a", 1)
    with pytest.raises(FrozenInstanceError):
        fast.name = "b"
    with pytest.raises(FrozenInstanceError):
        fast.doubled = 3
    with pytest.raises(FrozenInstanceError):
        del fast.count
    assert fast.name == "a"


def test_equality_and_hash():
    a, b, c = Fast("a", 1, tags=()), Fast("a", 1, tags=()), Fast("a", 2, tags=())
    assert a == b and a != c and hash(a) == hash(b)
    assert hash(a) == hash(Plain("a", 1, tags=()))
    assert a != Plain("a", 1, tags=())  # another class, as between two dataclasses
    a.history.append(2)
    assert a == b and hash(a) == hash(b)  # history: compare=False


def test_replace_fields_copy_and_pickle():
    fast = Fast("a", 1, tags=["x"])
    other = dataclasses.replace(fast, count=4)
    assert (other.name, other.count, other.tags, other.doubled, other.seen) == ("a", 4, ["x"], 8, 7)
    assert [f.name for f in dataclasses.fields(Fast)] == [f.name for f in dataclasses.fields(Plain)]
    for twin in (pickle.loads(pickle.dumps(fast)), copy.copy(fast), copy.deepcopy(fast)):
        assert twin == fast and repr(twin) == repr(fast) and twin.doubled == 2


def test_a_subclass_sets_its_base_fields_through_the_base_slots():
    @slot_init
    @dataclass(frozen=True, slots=True)
    class Base:
        a: int
        b: int = 2

    @slot_init
    @dataclass(frozen=True, slots=True)
    class Child(Base):
        c: tuple[int, ...] = ()

    child = Child(1, c=(3,))
    assert (child.a, child.b, child.c) == (1, 2, (3,))
    assert repr(child).endswith("Child(a=1, b=2, c=(3,))")
    with pytest.raises(FrozenInstanceError):
        child.a = 5


def test_classes_it_cannot_copy_exactly_are_refused():
    @dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(frozen=True, slots=True)
    class WithInitVar:
        a: int
        scale: InitVar[int] = 1

    @dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        a: int

    class NotADataclass:
        pass

    for cls in (NotFrozen, NoSlots, WithInitVar, KeywordOnly, NotADataclass):
        with pytest.raises(TypeError, match="slot_init"):
            slot_init(cls)


# The records every routing or provider call builds (see the module docstrings of models.py and slot_init.py),
# and the ones every dispatch builds to read the shared state, run the task and report it.
_PER_DISPATCH = [
    models.Classification, models.WindowCounts, models.ProviderUsage, models.Availability, models.ProviderBudget,
    models.BudgetSnapshot, models.CostEstimate, models.AgentChoice, models.Alternative, models.Recommendation,
    decision.RoutingDecision, base.CompletionRequest, base.RateLimitObservation, base.Completion,
    shared_state.SharedState, snapshot_cache._Entry, state.ExecutionSnapshot, circuit.CircuitState,
    capacity_view.CapacityView, budget.Reservation, plan.RequestPlan, pacing.PaceTicket, executor.Job, results.Attempt,
    attempts.Completed, results.TaskOutcome, dispatch.DispatchResult,
]


@pytest.mark.parametrize("cls", _PER_DISPATCH, ids=lambda c: c.__name__)
def test_the_records_every_dispatch_builds_use_it(cls):
    assert "__setattr__" not in cls.__init__.__code__.co_names


def test_records_with_derived_fields_and_factories_build_as_before():
    snapshot = models.BudgetSnapshot("2026-01-01", "UTC", 10.0, (models.ProviderBudget("codex", 5.0, 1.0, 0.5),), 0.0)
    assert (snapshot.spent, snapshot.reserved, snapshot.remaining) == (1.0, 0.5, 8.5)
    with pytest.raises(FrozenInstanceError):
        snapshot.remaining = 0.0
    cost = models.CostEstimate("codex", "m", 1, 2, 0.1)
    rec = models.Recommendation("codex", "primary available", "primary", cost, ())
    assert rec.budget_alerts == () and rec.wait_seconds is None
    cls = models.Classification("codex", 80, ("claude",), {"codex": 80}, "code", ())
    first = decision.RoutingDecision("t", "task", 1.0, cls, {}, {}, {"codex": cost}, snapshot, rec)
    second = first.with_lease("L1")
    assert first.rendered == {} and first.rendered is not second.rendered
    assert second.lease_id == "L1" and second == dataclasses.replace(first, lease_id="L1")
