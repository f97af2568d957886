"""Load configuration once: shipped defaults, then user, project and explicit files, then env.

Precedence, lowest first:
  1. config/default.toml (shipped)
  2. the user file: $XDG_CONFIG_HOME/switchboard/config.toml (else ~/.config/switchboard/config.toml)
  3. the project file: the nearest .switchboard.toml from the working directory upwards
  4. the file named by SWITCHBOARD_CONFIG (it must exist)
  5. SWITCHBOARD_HOME for the state directory

Tables merge key by key; arrays (and arrays of tables, such as a provider's models) replace.
A wrong file raises ConfigError naming the file, the key and what is allowed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from config.agents import load_agents
from config.schema import ConfigSchema
from router_core.settings import (
    AuditSettings,
    BlockThresholds,
    BudgetSettings,
    ExecutionSettings,
    ModelPrice,
    ProviderSettings,
    Settings,
)

DEFAULT_SOURCE = "<shipped defaults: config/default.toml>"
PROJECT_FILE = ".switchboard.toml"


class ConfigError(Exception):
    """A configuration file (or env var) is wrong; the message says where and what is allowed."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.key = key


def default_toml_text() -> str:
    return resources.files("config").joinpath("default.toml").read_text(encoding="utf-8")


def user_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "switchboard" / "config.toml"


def find_project_file(cwd: Path) -> Path | None:
    for folder in (cwd, *cwd.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def config_sources(environ: Mapping[str, str], cwd: Path) -> list[Path]:
    """The override files that exist, lowest precedence first."""
    found: list[Path] = []
    user = user_config_path(environ)
    if user.is_file():
        found.append(user)
    project = find_project_file(cwd)
    if project is not None and project not in found:
        found.append(project)
    explicit = environ.get("SWITCHBOARD_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"SWITCHBOARD_CONFIG names {path}, which does not exist. Point it at a TOML file or unset it.",
                file=str(path),
            )
        found.append(path)
    return found


def load_settings(
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    extra_files: list[Path] | None = None,
) -> Settings:
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    files = config_sources(environ, cwd) + list(extra_files or [])
    merged: dict[str, Any] = {}
    provenance: dict[tuple[str, ...], str] = {}
    _merge(merged, _parse(default_toml_text(), DEFAULT_SOURCE), DEFAULT_SOURCE, provenance, ())
    for path in files:
        text = _read(path)
        _merge(merged, _parse(text, str(path)), str(path), provenance, ())
    try:
        schema = ConfigSchema.model_validate(merged)
    except ValidationError as exc:
        raise _explain(exc, provenance) from None
    return _to_settings(schema, environ, [DEFAULT_SOURCE, *map(str, files)])


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text", file=str(path)) from exc


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}", file=source) from exc


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
    model: Any = ConfigSchema
    skip_next = False
    for part in loc[:-1]:
        if skip_next:  # a dict key (providers.<name>) or a list index
            skip_next = False
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        if field is None:
            return []
        skip_next = get_origin(field.annotation) in (dict, list)
        model = _inner_model(field.annotation)
    return sorted(model.model_fields) if _is_model(model) else []


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
        else:
            text = err["msg"].removeprefix("Value error, ")
            msg = f"'{key}' = {err.get('input')!r}: {text}"
        lines.append(f"{source}: {msg}")
        first_file = first_file or source
        first_key = first_key or key
    return ConfigError("invalid configuration:\n  " + "\n  ".join(lines), file=first_file, key=first_key)


def _to_settings(schema: ConfigSchema, environ: Mapping[str, str], sources: list[str]) -> Settings:
    providers = tuple(
        ProviderSettings(
            name=name,
            display_name=p.display_name,
            specializations=tuple(p.specializations),
            strong_keywords=tuple(k.lower() for k in p.strong_keywords),
            weak_keywords=tuple(k.lower() for k in p.weak_keywords),
            requests_per_minute=p.requests_per_minute,
            tokens_per_minute=p.tokens_per_minute,
            block=BlockThresholds(p.block_requests_percent, p.block_tokens_percent),
            cost_tier=p.cost_tier,
            fallback_order=tuple(p.fallback_order),
            cost_per_request=p.cost_per_request,
            default_model=p.default_model,
            models=tuple(
                ModelPrice(m.name, m.input_per_mtok, m.output_per_mtok, m.cached_input_per_mtok) for m in p.models
            ),
            task_type_models=tuple(sorted(p.task_type_models.items())),
            backend=p.backend,
            base_url=p.base_url,
            api_style=p.api_style,
            cli_command=tuple(p.cli_command),
            subscription_window_hours=p.subscription_window_hours,
            subscription_requests=p.subscription_requests,
        )
        for name, p in schema.providers.items()
    )
    home = environ.get("SWITCHBOARD_HOME") or schema.state_dir or "~/.switchboard"
    b = schema.budget
    return Settings(
        providers=providers,
        budget=BudgetSettings(
            daily_total=b.daily_total,
            allocations=tuple(b.allocation.items()),
            alert_thresholds=tuple(sorted(set(b.alert_thresholds))),
            timezone=b.timezone,
            reservation_ttl_seconds=b.reservation_ttl_seconds,
        ),
        output_tokens_by_task_type=tuple(schema.output_tokens.items()),
        classifier=schema.classifier,
        audit=AuditSettings(**schema.audit.model_dump()),
        execution=ExecutionSettings(**schema.execution.model_dump()),
        state_dir=Path(home).expanduser(),
        agents_dirs=tuple(Path(d).expanduser() for d in schema.agents_dirs),
        agents=load_agents(),
        sources=tuple(sources),
    )
