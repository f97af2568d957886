"""The dashboard's routes and event stream, with a fake get_state."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from server.dashboard import dashboard_routes, page_html, state_events


def client_for(get_state, **options) -> TestClient:
    return TestClient(Starlette(routes=dashboard_routes(get_state, **options)), base_url="http://127.0.0.1:8765")


def constant(state):
    async def get_state():
        return state

    return get_state


def test_page_is_self_contained_html(state):
    response = client_for(constant(state)).get("/dashboard")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html == page_html() and "<script>" in html and "<style>" in html
    # Nothing is fetched from elsewhere: no external scripts, styles, fonts or images.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert re.findall(r"https?://[^\s\"']+", html) == ["http://www.w3.org/2000/svg"]  # the SVG namespace name


def test_state_json_is_the_current_state(state):
    response = client_for(constant(state)).get("/dashboard/state.json")

    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert response.json() == state


def test_state_json_says_what_failed(caplog):
    # Before, a failing snapshot (a locked or unusable state database) gave a bare 500 "Internal Server
    # Error", and the polling page could only say "HTTP 500".
    async def get_state():
        raise RuntimeError("database is locked")

    response = client_for(get_state).get("/dashboard/state.json")

    assert response.status_code == 503 and response.headers["cache-control"] == "no-store"
    assert response.json() == {"error": "RuntimeError: database is locked"}
    assert "dashboard state failed" in caplog.text


def test_a_lasting_failure_is_logged_once_across_polls(caplog, state):
    # Each open page polls every 2 s: a traceback per poll buried the log.
    failing = [True]

    async def get_state():
        if failing[0]:
            raise RuntimeError("database is locked")
        return state

    client = client_for(get_state)
    for _ in range(3):
        assert client.get("/dashboard/state.json").status_code == 503
    assert caplog.text.count("dashboard state failed") == 1
    failing[0] = False
    assert client.get("/dashboard/state.json").status_code == 200
    failing[0] = True
    client.get("/dashboard/state.json")  # the problem again after a good state: logged again
    assert caplog.text.count("dashboard state failed") == 2


def test_event_stream_sends_the_state_first(state):
    with client_for(constant(state), max_events=1).stream("GET", "/dashboard/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())

    frames = body.split("\n\n")
    assert frames[0] == "retry: 2000"
    assert frames[1].startswith("data: ") and json.loads(frames[1][len("data: ") :]) == state


def test_unknown_paths_are_not_served(state):
    assert client_for(constant(state)).get("/dashboard/other").status_code == 404


async def collect(states_or_errors, **options):
    """Frames from state_events over a scripted get_state, with sleeps recorded instead of waited."""
    script = iter(states_or_errors)
    slept = []

    async def get_state():
        item = next(script)
        if isinstance(item, Exception):
            raise item
        return item

    async def sleep(seconds):
        slept.append(seconds)

    frames = [f async for f in state_events(get_state, sleep=sleep, **options)]
    return frames, slept


async def test_only_changes_are_sent_and_quiet_streams_get_keepalives():
    a, b = {"generated_at": "1", "n": 1}, {"generated_at": "2", "n": 2}
    frames, slept = await collect([a, a, a, a, b], poll_seconds=1.0, keepalive_seconds=2.0, max_events=2)

    assert frames == [
        "retry: 2000\n\n",
        f"data: {json.dumps(a, separators=(',', ':'))}\n\n",
        ": keepalive\n\n",
        f"data: {json.dumps(b, separators=(',', ':'))}\n\n",
    ]
    assert slept == [1.0, 1.0, 1.0, 1.0]


async def test_a_failing_snapshot_is_reported_and_the_stream_goes_on(caplog):
    good = {"n": 1}
    frames, _ = await collect([RuntimeError("store locked"), good], max_events=1)

    assert frames[1] == 'event: problem\ndata: {"message":"RuntimeError: store locked"}\n\n'
    assert frames[2] == 'data: {"n":1}\n\n'
    assert "dashboard state failed" in caplog.text


async def test_the_state_is_sent_again_once_a_problem_clears():
    # Before, a state equal to the one before the problem was not sent, so the page, which had been told of
    # the problem, showed "state error" until something changed.
    good = {"n": 1}
    states = itertools.chain([good, RuntimeError("database is locked")], itertools.repeat(good))

    async def get_state():
        item = next(states)
        if isinstance(item, Exception):
            raise item
        return item

    async def sleep(seconds):
        pass

    frames = []
    async for frame in state_events(get_state, sleep=sleep):
        frames.append(frame)
        if len(frames) == 4:
            break

    assert frames[1:] == ['data: {"n":1}\n\n', 'event: problem\ndata: {"message":"RuntimeError: database is locked"}\n\n',
                          'data: {"n":1}\n\n']


async def test_a_lasting_problem_is_sent_and_logged_once(caplog):
    # Before, a state database that stayed unusable gave a problem frame and a logged traceback every
    # poll, for every open page: 3,600 tracebacks an hour from one tab.
    locked, good = RuntimeError("database is locked"), {"n": 1}
    frames, _ = await collect([locked] * 5 + [good, locked, good], keepalive_seconds=100.0, max_events=2)

    problem = 'event: problem\ndata: {"message":"RuntimeError: database is locked"}\n\n'
    assert frames[1:] == [problem, 'data: {"n":1}\n\n', problem, 'data: {"n":1}\n\n']
    assert caplog.text.count("dashboard state failed") == 2


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/state.json", "/dashboard/events"])
@pytest.mark.parametrize(("headers", "status"), [
    ({"host": "evil.example:8765"}, 421),  # a page that rebound its own domain to 127.0.0.1
    ({"host": "127.0.0.1:8765", "origin": "http://evil.example"}, 403),  # a page elsewhere, fetching here
    ({"host": "localhost:8765", "origin": "http://localhost:8765"}, 200),
    ({"host": "[::1]:8765"}, 200),
])
def test_only_this_machines_pages_may_read_the_dashboard(state, path, headers, status):
    # Before, any Host was served: a web page could read the budget and the audit log's task texts.
    with client_for(constant(state), max_events=1).stream("GET", path, headers=headers) as response:
        assert response.status_code == status


async def test_a_state_that_only_got_older_is_sent_as_a_tick():
    # The real state's generated_at is the time of the poll: before, every poll sent the whole state (some
    # 60 KB with 30 recent decisions) to every open page, and the keepalive was never needed.
    a1, a2, a3 = ({"generated_at": f"10:00:0{i}", "n": 1} for i in (1, 2, 3))
    b = {"generated_at": "10:00:04", "n": 2}
    frames, _ = await collect([a1, a2, a3, a3, b], keepalive_seconds=100.0, max_events=2)

    assert frames == [
        "retry: 2000\n\n",
        'data: {"generated_at":"10:00:01","n":1}\n\n',
        'event: tick\ndata: {"generated_at":"10:00:02"}\n\n',
        'event: tick\ndata: {"generated_at":"10:00:03"}\n\n',
        'data: {"generated_at":"10:00:04","n":2}\n\n',
    ]
