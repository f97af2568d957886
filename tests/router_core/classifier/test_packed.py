"""The packed weights are the JSON weights, fresh, and classify identically."""

from __future__ import annotations

import gzip
import importlib.resources
import json
import struct
from pathlib import Path

import pytest

from router_core.classifier import lanes, packed
from router_core.classifier.model import LinearModel
from router_core.classifier.trained import PACKED_RESOURCE, SOURCE_FILE, TrainedClassifier

DATA = importlib.resources.files("router_core")
REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / SOURCE_FILE  # the trainer's JSON the shipped pack is made from (in the checkout, not shipped)


def test_shipped_pack_is_fresh():
    source = SOURCE.read_bytes()
    raw = DATA.joinpath(PACKED_RESOURCE).read_bytes()
    assert packed.packed_source(raw) == packed.source_digest(source), "run scripts/pack_classifier.py"


def test_pack_round_trips_every_table_exactly():
    data = {"classes": ["a", "b"], "bias": [0.1, -0.2], "meta": {"x": 1},
            "words": {"fix": [0.5, -0.25], "plan": [-1.0, 2.0]}, "markers": {"code": [0.0, 0.125]}, "neg": {}}
    back = packed.unpack(packed.pack(data, source="s"))
    assert back["classes"] == ["a", "b"] and back["meta"] == {"x": 1}
    assert dict(back["words"]) == {"fix": (0.5, -0.25), "plan": (-1.0, 2.0)}
    assert back["markers"]["code"] == (0.0, 0.125) and "nope" not in back["words"]
    with pytest.raises(KeyError):
        back["words"]["nope"]


def test_packed_model_classifies_like_the_json_model():
    source = SOURCE.read_bytes()
    from_json = TrainedClassifier(LinearModel(json.loads(gzip.decompress(source))))
    from_pack = TrainedClassifier(LinearModel(packed.unpack(DATA.joinpath(PACKED_RESOURCE).read_bytes())))
    texts = [json.loads(line)["text"] for line in DATA.joinpath("data/classifier_eval.jsonl").read_text().splitlines()]
    for text in texts[:150]:
        a, b = from_json.classify(text), from_pack.classify(text)
        assert (a.primary_provider, a.task_type, a.all_scores) == (b.primary_provider, b.task_type, b.all_scores)


@pytest.mark.parametrize("magic", [b"SWBW1\n", b"SWBW2\n", b"SWBW3\n"])
def test_a_file_of_another_format_has_no_source_so_counts_as_stale(magic):
    current = packed.pack({"classes": ["a"], "bias": [0.0], "words": {"x": [1.0]}}, source="s")
    assert packed.packed_source(current) == "s"
    older = magic + current[len(packed.MAGIC):]
    assert packed.packed_source(older) == ""
    with pytest.raises(ValueError):
        packed.unpack(older)


def test_a_table_answers_alike_by_search_and_by_index(monkeypatch):
    monkeypatch.setattr(packed, "INDEX_AFTER", 3)
    rows = {f"k{i:02d}": [i / 8, -i / 8] for i in range(40)}
    table = packed.unpack(packed.pack({"classes": ["a", "b"], "bias": [0.0, 0.0], "words": rows}))["words"]
    probes = ["k07", "k07x", "", "k39", "k00", "zz", "k20", "a"]
    answers = [table.get(k) for k in probes]
    assert table._index is not None  # more searches than INDEX_AFTER: now hashed
    assert [table.get(k) for k in probes] == answers
    assert answers == [(7 / 8, -7 / 8), None, None, (39 / 8, -39 / 8), (0.0, -0.0), None, (20 / 8, -20 / 8), None]
    assert len(table) == 40 and sorted(table) == sorted(rows) and "k05" in table and "k05 " not in table


def test_the_index_holds_every_row_as_the_lanes_int_a_search_reads(monkeypatch):
    # A key first looked up once the table is indexed costs one dict lookup: its row is there already, encoded.
    monkeypatch.setattr(packed, "INDEX_AFTER", 2)
    rows = {f"k{i:02d}": [i / 8, -i / 8, 0.125] for i in range(40)}
    table = packed.unpack(packed.pack({"classes": ["a", "b", "c"], "bias": [0.0] * 3, "words": rows}))["words"]
    searched = {k: table.encoded(k) for k in ("k03", "k39")}
    assert table.index is None
    assert table.encoded("k05") == lanes.encode(rows["k05"]) and table.index is not None
    assert table.index == {k: lanes.encode(v) for k, v in rows.items()}
    assert searched == {k: table.index[k] for k in searched} and table.encoded("k40") is None


def test_a_small_table_indexes_after_a_tenth_as_many_searches_as_it_has_rows():
    # The shipped first-word table (891 rows, one search a task) searched for 256 tasks, ~6 us each, where indexing
    # it costs ~0.5 ms; the negated words' table (651 rows) was searched only for texts that negate, ~forever.
    rows = {f"k{i:02d}": [i / 8] for i in range(40)}
    table = packed.unpack(packed.pack({"classes": ["a"], "bias": [0.0], "words": rows}))["words"]
    assert [table.encoded(k) for k in ("k01", "k02", "zz", "k03")] == [lanes.encode([i / 8]) for i in (1, 2)] + [
        None, lanes.encode([3 / 8])]
    assert table.index is None  # 4 searches: a tenth of 40
    assert table.encoded("k04") == lanes.encode([0.5]) and table.index is not None


def test_keys_are_packed_sorted_and_a_table_without_starts_is_hashed_on_first_use():
    raw = packed.pack({"classes": ["a"], "bias": [0.0], "words": {"zeta": [1.0], "ähm": [4.0], "mid": [3.0]}})
    words = packed.unpack(raw)["words"]
    assert list(words) == ["mid", "zeta", "ähm"]  # code point order, as UTF-8 bytes sort
    assert [words.get(k) for k in ("ähm", "zeta", "mid", "zz")] == [(4.0,), (1.0,), (3.0,), None]
    unsorted = packed.Rows(b"zeta\nmid", None, struct.pack("<2I", lanes.OFFSET + 1000, lanes.OFFSET + 3000), 1)
    assert unsorted.get("mid") == (3.0,) and unsorted._index is not None


def test_resources_are_mapped_read_or_missing(tmp_path):
    from router_core.classifier.trained import _mapped

    path = tmp_path / "w.bin"
    path.write_bytes(packed.MAGIC + b"abc")
    mapped = _mapped(path)
    assert mapped[:6] == packed.MAGIC and len(mapped) == 9
    assert _mapped(tmp_path / "missing.bin") is None
    in_a_zip = type("ZipResource", (), {"is_file": lambda self: True, "read_bytes": lambda self: b"xyz"})()
    assert _mapped(in_a_zip) == b"xyz"


@pytest.mark.parametrize("share", [False, True])
def test_shared_and_copied_tables_answer_alike(share):
    rows = {f"w{i:03d}": [i / 4, -i / 4, 0.5] for i in range(300)}
    raw = packed.pack({"classes": ["a", "b", "c"], "bias": [0.0] * 3, "words": rows}, source="s")
    words = packed.unpack(raw, share=share)["words"]
    assert isinstance(words._rows, memoryview) == share
    assert {k: words[k] for k in rows} == {k: tuple(v) for k, v in rows.items()}  # past INDEX_AFTER too
    assert words.get("w300") is None


def test_the_shipped_model_shares_its_map_and_classifies_like_a_copy():
    shared = TrainedClassifier.load().model
    copied = TrainedClassifier(LinearModel(packed.unpack(DATA.joinpath(PACKED_RESOURCE).read_bytes()))).model
    assert isinstance(shared._words.source._rows, memoryview)
    texts = [json.loads(line)["text"] for line in DATA.joinpath("data/classifier_eval.jsonl").read_text().splitlines()]
    for text in texts[:100]:
        assert shared.score(text).probabilities == copied.score(text).probabilities


def _checkout(tmp_path, monkeypatch, *, pack: bytes | None, json_weights: bool = True):
    """A package root (and, with ``json_weights``, the checkout's JSON next to it) the loader reads instead."""
    from router_core.classifier import trained

    root = tmp_path / "router_core"
    (root / "data").mkdir(parents=True)
    if json_weights:
        (tmp_path / "data").mkdir()
        (tmp_path / SOURCE_FILE).write_bytes(SOURCE.read_bytes())
    if pack is not None:
        (root / PACKED_RESOURCE).write_bytes(pack)
    monkeypatch.setattr(trained.importlib.resources, "files", lambda _: root)
    return trained._load_shipped.__wrapped__  # not the process-wide cached model


def test_a_pack_of_json_of_another_length_is_stale_and_the_json_is_loaded(tmp_path, monkeypatch, caplog):
    load = _checkout(tmp_path, monkeypatch, pack=DATA.joinpath(PACKED_RESOURCE).read_bytes())
    assert isinstance(load()._words.source, packed.Rows)  # fresh: the pack
    (tmp_path / SOURCE_FILE).write_bytes(SOURCE.read_bytes() + b"\0")  # retrained (a different length), not re-packed
    with caplog.at_level("WARNING"):
        model = load()
    assert not isinstance(model._words.source, packed.Rows) and "is stale" in caplog.text


def _damaged(damage: str) -> bytes | None:
    raw = DATA.joinpath(PACKED_RESOURCE).read_bytes()
    broken = {
        "truncated": raw[:-3],
        "empty": b"",
        "other offset": raw.replace(f'"offset": {lanes.OFFSET}'.encode(), f'"offset": {lanes.OFFSET // 2}'.encode()),
        "header cut": raw[:40],
        "missing": None,
    }[damage]
    assert broken != raw
    return broken


DAMAGES = ["truncated", "empty", "other offset", "header cut", "missing"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_pack_falls_back_to_the_checkouts_json(tmp_path, monkeypatch, caplog, damage):
    # Each raised out of the loader (the classifier unusable), or loaded with a table silently short.
    load = _checkout(tmp_path, monkeypatch, pack=_damaged(damage))
    with caplog.at_level("WARNING"):
        model = load()
    assert not isinstance(model._words.source, packed.Rows) and PACKED_RESOURCE in caplog.text
    assert TrainedClassifier(model).classify("Fix the login bug").primary_provider == "codex"


def test_an_installed_package_loads_the_pack_alone(tmp_path, monkeypatch):
    load = _checkout(tmp_path, monkeypatch, pack=DATA.joinpath(PACKED_RESOURCE).read_bytes(), json_weights=False)
    model = load()
    assert isinstance(model._words.source, packed.Rows)
    assert TrainedClassifier(model).classify("Fix the login bug").primary_provider == "codex"


@pytest.mark.parametrize("damage", DAMAGES)
def test_an_installed_package_with_a_damaged_pack_says_to_reinstall(tmp_path, monkeypatch, damage):
    load = _checkout(tmp_path, monkeypatch, pack=_damaged(damage), json_weights=False)
    with pytest.raises(RuntimeError, match=f"{PACKED_RESOURCE}.*reinstall switchboard"):
        load()


def test_the_trainers_json_is_not_shipped():
    import fnmatch
    import tomllib

    shipped = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["router_core"]
    assert not any(fnmatch.fnmatch("data/classifier_model.json.gz", pattern) for pattern in shipped)
    assert any(fnmatch.fnmatch(PACKED_RESOURCE, pattern) for pattern in shipped)
    assert not DATA.joinpath("data/classifier_model.json.gz").is_file()  # nor left in the package directory


def test_a_pack_of_another_version_given_as_a_weights_file_says_so(tmp_path):
    path = tmp_path / "old.bin"
    path.write_bytes(b"SWBW2\n" + DATA.joinpath(PACKED_RESOURCE).read_bytes()[len(packed.MAGIC):])
    with pytest.raises(ValueError, match="another format version"):
        LinearModel.from_file(path)


def test_pairs_of_unknown_words_are_skipped_only_when_the_pack_says_none_exist():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "scripts" / "pack_classifier.py"
    spec = importlib.util.spec_from_file_location("pack_classifier", script)
    pack_classifier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pack_classifier)
    zeros = [0.0, 0.0]
    data = {"classes": ["a", "b"], "bias": zeros, "words": {"fix": zeros}, "chars": {}, "first": {}, "markers": {},
            "pairs": {"fix the": [1.0, 0.0]}}
    assert pack_classifier.pairs_of_known_words(data)
    data["pairs"]["zorp bug"] = [0.0, 2.0]  # "zorp" is no word of the table: its pairs must still be looked up
    assert not pack_classifier.pairs_of_known_words(data)
    flagged = LinearModel({**data, "pairs_of_known_words": True})
    plain = LinearModel(data)
    assert plain.score("zorp bug now").evidence != flagged.score("zorp bug now").evidence  # what the flag skips
    shipped = TrainedClassifier.load().model
    assert shipped._pairs_of_known_words  # the shipped pack was checked when it was packed


def test_each_table_records_its_largest_weight_as_a_scan_of_its_rows_finds_it():
    data = {"classes": ["a", "b"], "bias": [0.0, 0.0], "words": {"x": [0.5, -7.25], "y": [3.0, 0.0]},
            "chars": {"abc": [0.001, 0.0]}}
    back = packed.unpack(packed.pack(data))
    assert (back["words"].largest, back["chars"].largest) == (7250, 1)
    rescanned = packed.Rows(b"x\ny", None, struct.pack("<4I", *(lanes.OFFSET + v for v in (500, -7250, 3000, 0))), 2)
    assert rescanned.largest == 7250
