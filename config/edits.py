"""Which keys of the configuration files differ from the settings a server runs on, by their TOML names:
what an edit saved while it runs leaves waiting for its restart (config/watch.py; shown in config://effective)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from router_core.settings import Settings

# A settings field by the name a file gives it, where the two differ.
_FILE_NAMES = {"output_tokens_by_task_type": "output_tokens", "allocations": "allocation"}
APPLIED_AT_ONCE = ("budget", "sources")  # the budget binds running servers; the list of files is no setting


def changed_keys(running: Settings, edited: Settings, *, applied: tuple[str, ...] = APPLIED_AT_ONCE) -> list[str]:
    """The dotted keys (``providers.codex.models``, ``classifier``) whose values differ, sorted; the fields named
    in ``applied`` are left out (a budget applied at once waits for nothing)."""
    keys: list[str] = []
    for f in fields(Settings):
        if f.name not in applied:
            keys += _differing(_FILE_NAMES.get(f.name, f.name), getattr(running, f.name), getattr(edited, f.name))
    return sorted(keys)


def _differing(key: str, old: object, new: object) -> list[str]:
    if old == new:
        return []
    if key == "providers":  # a tuple of ProviderSettings, one per provider: by name
        olds, news = ({p.name: p for p in ps} for ps in (old, new))  # type: ignore[attr-defined]
        return [k for name in sorted(olds.keys() | news.keys())
                for k in _differing(f"providers.{name}", olds.get(name), news.get(name))]
    if is_dataclass(old) and is_dataclass(new) and type(old) is type(new):
        # BlockThresholds' keys are block_requests_percent and block_tokens_percent in a provider's table
        join = "_" if key.endswith(".block") else "."
        return [k for f in fields(old) if f.name != "name"
                for k in _differing(f"{key}{join}{_FILE_NAMES.get(f.name, f.name)}", getattr(old, f.name),
                                    getattr(new, f.name))]
    return [key]
