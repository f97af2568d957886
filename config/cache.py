"""A cache of validated configuration data: a start-up whose configuration did not change skips
parsing and validating it (~10 ms, most of it building the pydantic schema models).

The one entry is keyed by a hash of everything validation depends on: each configuration text with
its source, the shipped agent pool, the source of the modules that validate (config/*.py) and the
pydantic version. A change anywhere is a miss, so the entry cannot go stale; a miss validates in
full (with the usual errors) and replaces the entry. The cache never fails a load: an unreadable or
broken entry is a miss, and an unwritable directory is skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
FILENAME = "validated-config.json"
VALIDATING_MODULES = ("agents.py", "cache.py", "loader.py", "schema.py", "validate.py")


def user_cache_dir(environ: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/switchboard, else ~/.cache/switchboard."""
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".cache")
    return Path(base) / "switchboard"


def cache_key(texts: Sequence[tuple[str, str]]) -> str:
    """The hash of ``texts`` ((source, text) pairs, in order) and of the validating code."""
    from pydantic.version import VERSION

    digest = hashlib.sha256(json.dumps([FORMAT, VERSION, *texts]).encode("utf-8"))
    package = resources.files("config")
    for name in VALIDATING_MODULES:
        digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()


def read(directory: Path, key: str) -> dict[str, Any] | None:
    """The data stored under ``key``, or None (no entry, another key, or unreadable)."""
    try:
        entry = json.loads((directory / FILENAME).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("data"), dict):
        return None
    return entry["data"]


def write(directory: Path, key: str, data: Mapping[str, Any]) -> None:
    """Store ``data`` under ``key`` (atomically: readers see the old entry or the new one)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".validated-config-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"key": key, "data": data}, f)
            os.replace(tmp, directory / FILENAME)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        log.debug("validated-config cache not written to %s: %s", directory, exc)
