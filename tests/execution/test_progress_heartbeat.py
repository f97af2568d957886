"""dispatch_agent and run_batch say what they are doing while a provider call runs (tools/progress.py).

Claude Code over Streamable HTTP aborts a tool call that sent no response and no progress for 5 minutes, and
a call sent nothing while a provider answered (a CLI run may take 450 s). The MCP calls here go over the
JSON-RPC session ("legacy" mode), as stdio and HTTP clients do: the request's _meta carries the progress token.
"""

from __future__ import annotations

import re

import anyio
import pytest
from mcp import Client

import tools.dispatch
from router_core.execution.adapters import build_adapters
from router_core.execution.executor import Executor
from server.app import create_server
from tests.execution.fakes import clock_sleep, fake_environ, unanswered
from tests.execution.test_cancellation import Stuck
from tests.execution.test_tools import ENV_VARS
from tests.fakes.fake_script import Fault
from tools.progress import ProgressReport

EVERY = 0.05  # heartbeat interval: seconds
HANG = 10.0  # a provider call that lasts until the test has heard enough (end_hangs)
HEARTBEAT = re.compile(r"\S+: codex answering, \d+ s so far")


@pytest.fixture
def fake_backends(monkeypatch, fake):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in fake_environ(fake).items():
        monkeypatch.setenv(var, value)


def connect(settings, core) -> Client:
    server = create_server(settings, core_factory=lambda: core, live_interval=None, heartbeat_seconds=EVERY)
    return Client(server, mode="legacy")


class Heard:
    """The progress notices of a call; once one matches ``until``, ``then`` runs (once)."""

    def __init__(self, until: re.Pattern[str], then) -> None:
        self.notices: list[tuple[float, float | None, str | None]] = []
        self.until, self.then, self.matched = until, then, False

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.notices.append((progress, total, message))
        if not self.matched and message is not None and self.until.fullmatch(message):
            self.matched = True
            self.then()

    @property
    def values(self) -> list[float]:
        return [v for v, _, _ in self.notices]


def assert_growing(values: list[float]) -> None:
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values


class Watched(ProgressReport):
    """A ProgressReport that records when its heartbeat starts and ends."""

    beats: list[str] = []

    async def _beat(self) -> None:
        self.beats.append("started")
        try:
            await super()._beat()
        finally:
            self.beats.append("ended")


@pytest.fixture
def watched(monkeypatch):
    monkeypatch.setattr(Watched, "beats", [])
    monkeypatch.setattr(tools.dispatch, "ProgressReport", Watched)
    return Watched.beats


async def test_a_dispatch_says_which_provider_is_answering_while_it_answers(settings, keyword_core, fake_backends,
                                                                            fake, watched):
    fake.script("codex", [Fault.hang(HANG)])
    heard = Heard(HEARTBEAT, fake.end_hangs)
    async with connect(settings, keyword_core) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Implement a JWT login endpoint in Flask",
                                                      "provider": "codex"}, progress_callback=heard)
    assert r.structured_content["status"] == "success", r.content
    assert r.structured_content["provider_used"] == "codex"
    assert heard.notices and all(HEARTBEAT.fullmatch(m) and total is None for _, total, m in heard.notices)
    assert heard.values[0] == 0.5 and heard.values[-1] < 1
    assert_growing(heard.values)
    assert watched == ["started", "ended"]


async def test_a_batch_says_how_many_are_done_and_where_the_rest_run(settings, keyword_core, fake_backends, fake):
    for provider in ("codex", "gemini"):  # claude's task ends at once; the other two wait on the wire
        fake.script(provider, [Fault.hang(HANG)])
    heard = Heard(re.compile(r"1/3 done; 2 running on (codex, gemini|gemini, codex) \(longest \d+ s so far\); "
                             r"\d+ s in all"), fake.end_hangs)
    tasks = [{"id": "a", "task": "Implement the CSV export endpoint"}, {"id": "b", "task": "Explain OAuth2 flow"},
             {"id": "c", "task": "Design distributed system architecture for ingest"}]
    async with connect(settings, keyword_core) as client:
        r = await client.call_tool("run_batch", {"tasks": tasks, "dry_run": False, "parallel": 3},
                                   progress_callback=heard)
    out = r.structured_content
    assert [x["status"] for x in out["results"]] == ["success"] * 3, r.content
    assert heard.matched
    assert_growing(heard.values)  # a heartbeat never took a later task's count back
    assert all(total == 3 for _, total, _ in heard.notices)
    done = [v for v in heard.values if v == int(v)]
    assert done == [1, 2, 3] and heard.values[-1] == 3
    between = [v for v in heard.values if 1 < v < 2]
    assert between and between[0] == 1.5


async def test_a_cancelled_dispatch_stops_its_heartbeat(settings, keyword_core, monkeypatch, watched):
    adapters = {p.name: Stuck(p) for p in settings.providers}  # answers never
    monkeypatch.setattr(tools.dispatch, "executor_of", lambda state: Executor(keyword_core, adapters))
    async with connect(settings, keyword_core) as client:
        with anyio.CancelScope() as host:
            heard = Heard(HEARTBEAT, host.cancel)  # the host gives up (Esc) while codex answers
            with anyio.fail_after(HANG):
                await client.call_tool("dispatch_agent", {"task": "Implement a JWT login endpoint in Flask",
                                                          "provider": "codex"}, progress_callback=heard)
        assert host.cancelled_caught and heard.matched
        with anyio.fail_after(HANG):  # the server hears of the cancellation and ends the call, heartbeat and all
            while "ended" not in watched:
                await anyio.sleep(0.01)
    assert watched == ["started", "ended"]
    line = keyword_core.audit.tail(1)[0]
    assert line["execution_metrics"]["status"] == "cancelled"
    assert [a["outcome"] for a in line["execution_metrics"]["attempts"]] == ["cancelled"]


async def test_a_call_without_a_progress_token_runs_no_heartbeat(settings, keyword_core, fake_backends, fake,
                                                                  watched):
    fake.set_latency("codex", 0.3)  # several heartbeat intervals
    async with connect(settings, keyword_core) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Implement a JWT login endpoint in Flask",
                                                      "provider": "codex"})
        assert r.structured_content["status"] == "success"
        assert watched == []  # no timer for a caller that hears no progress
        fake.set_latency("codex", 0.0)
        heard = Heard(re.compile("never"), lambda: None)
        r = await client.call_tool("dispatch_agent", {"task": "Implement a JWT login endpoint in Flask",
                                                      "provider": "codex"}, progress_callback=heard)
        assert r.structured_content["status"] == "success"
    assert watched == ["started", "ended"]  # one with a progress token has one, ended with the call


async def test_a_wait_for_room_at_the_provider_is_said_in_the_progress(settings, keyword_core, fake, clock, client,
                                                                      monkeypatch):
    # A task waiting out a 429's retry-after (or a full rate window) sent nothing: the host saw no progress.
    adapters = build_adapters(settings, client=client, clock=clock, environ=fake_environ(fake), which=lambda _: None)
    executor = Executor(keyword_core, adapters, sleep=clock_sleep(clock, unanswered(keyword_core.db, clock)))
    monkeypatch.setattr(tools.dispatch, "executor_of", lambda state: executor)
    told = re.compile(r"\S+: waiting 20s for codex: retrying \(rate limited \(429\).*")
    for tool, arguments in [("dispatch_agent", {"task": "Implement a JWT login endpoint in Flask", "provider": "codex"}),
                            ("run_batch", {"tasks": [{"id": "a", "task": "Implement the CSV export endpoint"}],
                                           "dry_run": False})]:
        fake.script("codex", [Fault.rate_limited(retry_after=20.0)])
        heard = Heard(told, lambda: None)
        async with connect(settings, keyword_core) as client_:
            await client_.call_tool(tool, arguments, progress_callback=heard)
        assert heard.matched, (tool, heard.notices)
        assert_growing(heard.values)
