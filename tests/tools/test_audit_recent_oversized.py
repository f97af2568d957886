"""audit://recent with an entry too long to ever fit its bound: shortened in its place, not the end of the list."""

from __future__ import annotations

import json

from mcp import Client

from server.app import create_server


async def test_an_entry_larger_than_the_bound_does_not_hide_the_log(settings, keyword_core):
    # A task may be 200,000 characters: in Cyrillic that is a 400 KB audit line, over the 256 KiB of the
    # resource on its own. audit://recent answered [] (as if nothing had been audited) until it left the tail,
    # and hid every older entry meanwhile.
    import resources.registry as resources

    for i in range(5):
        keyword_core.decide(f"Напиши тесты для парсера {i}")
    task = "Проверь этот код: " + "данные = загрузить(файл)\n" * 7000
    keyword_core.decide(task)
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as c:
        text = (await c.read_resource("audit://recent")).contents[0].text
    entries = json.loads(text)
    assert len(text.encode()) <= resources.DAY_RESOURCE_BYTES
    assert [e["task_description"][:27] for e in entries[:5]] == [f"Напиши тесты для парсера {i}" for i in range(5)]
    newest = entries[-1]
    assert newest["task_description"].startswith(task[:1000])
    assert f"{len(task.strip()):,} characters" in newest["task_description"] and "audit file" in newest["task_description"]
    assert newest["recommendation"]["provider"] in ("codex", "gemini", "claude")  # the rest of it is whole


async def test_a_day_whose_newest_entry_is_larger_than_the_bound_still_shows_the_day(settings, keyword_core):
    # audit://{day} stopped at the first line over its bound: "only the newest 0 entries", the day's log hidden.
    for i in range(3):
        keyword_core.decide(f"Напиши тесты для парсера {i}")
    task = "Проверь этот код: " + "данные = загрузить(файл)\n" * 7000
    keyword_core.decide(task)
    day = keyword_core.audit.days()[-1]
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as c:
        text = (await c.read_resource(f"audit://{day}")).contents[0].text
    view = json.loads(text)
    assert [e["task_description"][:27] for e in view["entries"][:3]] == [f"Напиши тесты для парсера {i}"
                                                                          for i in range(3)]
    assert "audit file" in view["entries"][-1]["task_description"] and view["complete"] is True


async def test_a_nul_filled_stretch_left_by_a_crash_does_not_hide_the_day(settings, keyword_core):
    # A crash (power loss) can leave a run of NUL bytes where the last lines were: the next append ends it with a
    # newline, and it is a skipped line. Counted against the 256 KiB although nothing of it is in the reply, a
    # long one ended audit://{day} there: 'complete': false, and the day's entries before the crash hidden.
    for i in range(3):
        keyword_core.decide(f"Write tests for the parser {i}")
    day = keyword_core.audit.days()[-1]
    with keyword_core.audit.parts(day)[-1].open("ab") as f:
        f.write(b"\0" * 300_000)
    keyword_core.decide("Write tests for the parser 3")
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as c:
        view = json.loads((await c.read_resource(f"audit://{day}")).contents[0].text)
    assert [e["task_description"] for e in view["entries"]] == [f"Write tests for the parser {i}" for i in range(4)]
    assert view["complete"] is True and view["skipped_lines"] == 1 and "note" not in view
