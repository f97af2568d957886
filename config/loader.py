"""Load configuration once: shipped defaults, then user, project and explicit files, then env.

Precedence, lowest first:
  1. config/default.toml (shipped)
  2. the user file: $XDG_CONFIG_HOME/switchboard/config.toml (else ~/.config/switchboard/config.toml)
  3. the project file: the nearest .switchboard.toml from the working directory upwards
  4. the file named by SWITCHBOARD_CONFIG (it must exist)
  5. SWITCHBOARD_HOME for the state directory

Tables merge key by key; arrays (and arrays of tables, such as a provider's models) replace.
A wrong file raises ConfigError naming the file, the key and what is allowed (config/validate.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from config import cache
from config.agents import AGENTS_SOURCE, agent_specs, agents_toml_text, validated_agents
from config.schema import cli_timeout
from router_core.settings import (
    AuditSettings,
    BlockThresholds,
    BudgetSettings,
    ExecutionSettings,
    HttpSettings,
    ModelPrice,
    ProviderSettings,
    Settings,
)

DEFAULT_SOURCE = "<shipped defaults: config/default.toml>"
PROJECT_FILE = ".switchboard.toml"
DEFAULT_STATE_DIR = "~/.switchboard"


class ConfigError(Exception):
    """A configuration file (or env var) is wrong; the message says where and what is allowed."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.key = key


def expand_home(path: str, what: str, *, file: str | None = None, key: str | None = None) -> Path:
    """``path`` with a leading ``~`` (or ``~user``) expanded; a ConfigError naming ``what`` when it cannot be:
    pathlib raises RuntimeError for a user that does not exist (``"~.switchboard"`` for ``"~/.switchboard"``) or,
    for ``~``, with HOME unset and no home in the user database, and the server stopped with a traceback."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        user = path[1:].split("/", 1)[0]
        why = f"there is no user {user!r}" if user else "HOME is unset and the user database gives no home"
        raise ConfigError(f"{what} = {path!r}: '~{user}' cannot be expanded, {why}; write '~/' for your home "
                          "directory, or an absolute path", file=file, key=key) from None


def default_toml_text() -> str:
    return resources.files("config").joinpath("default.toml").read_text(encoding="utf-8")


def user_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "switchboard" / "config.toml"


def find_project_file(cwd: Path) -> Path | None:
    for folder in (cwd, *cwd.parents):
        candidate = folder / PROJECT_FILE
        if _is_file(candidate):
            return candidate
    return None


def _is_file(path: Path) -> bool:
    """``path.is_file()``, or a ConfigError when it cannot be told: is_file() answers False only for a path that
    is not there; EACCES (a folder of another user's, or left mode 700 by a sudo run) or ESTALE (a network home)
    came out of it as a traceback."""
    try:
        return path.is_file()
    except OSError as exc:
        raise ConfigError(f"cannot look at config file {path}: {exc.strerror or exc}; make it and its folders "
                          "readable to you, or move it aside", file=str(path)) from exc


def config_sources(environ: Mapping[str, str], cwd: Path) -> list[Path]:
    """The override files that exist, lowest precedence first."""
    found: list[Path] = []
    user = user_config_path(environ)
    if _is_file(user):
        found.append(user)
    elif user.exists():  # skipped, the server ran on defaults the user did not choose, and said nothing
        raise ConfigError(f"the user config {user} is there, {_what_is_there(user)}: make it a TOML file or move "
                          "it aside", file=str(user))
    project = find_project_file(cwd)
    if project is not None and project not in found:
        found.append(project)
    explicit = environ.get("SWITCHBOARD_CONFIG")
    if explicit:
        path = expand_home(explicit, "SWITCHBOARD_CONFIG")
        if not _is_file(path):
            raise ConfigError(
                f"SWITCHBOARD_CONFIG names {path}, {_what_is_there(path)}. Point it at a TOML file or unset it.",
                file=str(path),
            )
        found.append(path)
    return found


def _what_is_there(path: Path) -> str:
    """Why ``path`` is no config file, for a message: it is missing, a directory, or something else."""
    if path.is_dir():
        return "which is a directory, not a file"
    if path.exists():
        return "which is not a regular file"
    return "which does not exist"


def load_settings(
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    extra_files: list[Path] | None = None,
    *,
    cache_dir: Path | None = None,
) -> Settings:
    """The settings from the shipped defaults, the override files that exist, and env.

    With ``cache_dir`` (the CLI passes ``config.cache.user_cache_dir``), validated data is reused
    while every input is unchanged (see config/cache.py); without it, everything is validated.
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    files = config_sources(environ, cwd) + list(extra_files or [])
    texts = [(DEFAULT_SOURCE, default_toml_text()), *((str(path), _read(path)) for path in files)]
    agents_text = agents_toml_text()
    home_from_env = bool(environ.get("SWITCHBOARD_HOME"))  # replaces state_dir: validation checks depend on it
    inputs = [*texts, (AGENTS_SOURCE, agents_text), ("SWITCHBOARD_HOME set", str(home_from_env)),
              ("~", os.path.expanduser("~"))]  # whether a project's state_dir is its own depends on it
    key = cache.cache_key(inputs) if cache_dir else ""
    data = cache.read(cache_dir, key) if cache_dir else None
    if data is None:
        from config.validate import validated_config  # pydantic models: only when not cached

        data = {"config": validated_config(texts, home_from_env=home_from_env),
                "agents": validated_agents(agents_text, AGENTS_SOURCE)}
        if cache_dir:
            cache.write(cache_dir, key, data)
    return _to_settings(data["config"], data["agents"], environ, [source for source, _ in texts])


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a leading BOM (Windows editors write one) is no TOML
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text ({_where_not_utf8(exc)}): save it as UTF-8",
                          file=str(path)) from exc


def _where_not_utf8(exc: UnicodeDecodeError) -> str:
    """Where the text stops being UTF-8: UTF-16 as a whole (its byte order mark), else the line."""
    if exc.object[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "it is UTF-16, which Windows editors call 'Unicode'"
    line = exc.object.count(b"\n", 0, exc.start) + 1
    return f"line {line}"


def _to_settings(
    config: Mapping[str, Any], agents: list[dict[str, Any]], environ: Mapping[str, str], sources: list[str]
) -> Settings:
    """Settings from validated data (``config.validate.validated_config``, ``validated_agents``)."""
    providers = tuple(
        ProviderSettings(
            name=name,
            display_name=p["display_name"],
            specializations=tuple(p["specializations"]),
            strong_keywords=tuple(k.lower() for k in p["strong_keywords"]),
            weak_keywords=tuple(k.lower() for k in p["weak_keywords"]),
            requests_per_minute=p["requests_per_minute"],
            tokens_per_minute=p["tokens_per_minute"],
            block=BlockThresholds(p["block_requests_percent"], p["block_tokens_percent"]),
            cost_tier=p["cost_tier"],
            fallback_order=tuple(p["fallback_order"]),
            cost_per_request=p["cost_per_request"],
            default_model=p["default_model"],
            models=tuple(
                ModelPrice(m["name"], m["input_per_mtok"], m["output_per_mtok"], m["cached_input_per_mtok"],
                           m["long_context_above"], m["long_input_per_mtok"], m["long_output_per_mtok"],
                           m["long_cached_input_per_mtok"])
                for m in p["models"]
            ),
            task_type_models=tuple(sorted(p["task_type_models"].items())),
            backend=p["backend"],
            base_url=p["base_url"],
            api_style=p["api_style"],
            cli_command=_expand_executable(p["cli_command"]),
        )
        for name, p in config["providers"].items()
    )
    home = environ.get("SWITCHBOARD_HOME") or config["state_dir"] or DEFAULT_STATE_DIR
    home_from = ("SWITCHBOARD_HOME" if environ.get("SWITCHBOARD_HOME") else
                 "state_dir" if config["state_dir"] else "the default state dir")  # state_dir: checked with its file
    b = config["budget"]
    return Settings(
        providers=providers,
        budget=BudgetSettings(
            daily_total=b["daily_total"],
            allocations=tuple(b["allocation"].items()),
            alert_thresholds=tuple(sorted(set(b["alert_thresholds"]))),
            timezone=b["timezone"],
            reservation_ttl_seconds=b["reservation_ttl_seconds"],
        ),
        output_tokens_by_task_type=tuple(config["output_tokens"].items()),
        classifier=config["classifier"],
        audit=AuditSettings(**config["audit"]),
        execution=ExecutionSettings(**{**config["execution"], "cli_timeout_seconds": cli_timeout(
            config["execution"]["cli_timeout_seconds"], b["reservation_ttl_seconds"])}),
        http=HttpSettings(**config["http"]),
        state_dir=_absolute_state_dir(expand_home(home, home_from), home_from),
        agents_dirs=tuple(expand_home(d, "agents_dirs") for d in config["agents_dirs"]),
        agents=agent_specs(agents),
        sources=tuple(sources),
    )


def _absolute_state_dir(path: Path, what: str) -> Path:
    """The state dir holds the budget and limits every process shares: a relative one would be resolved against
    each process's working directory, so sessions started in other directories would each get a budget of their own."""
    if not path.is_absolute():
        raise ConfigError(f"{what} = {str(path)!r} is a relative path: each process would resolve it against its own "
                          "working directory and get a budget of its own; give an absolute path or one starting "
                          "with '~/'")
    return path


def _expand_executable(command: list[str]) -> tuple[str, ...]:
    """``cli_command`` with a leading ``~`` of its executable expanded, as a shell would (no shell runs it);
    the arguments are passed as written."""
    if command and command[0].startswith("~"):
        return (os.path.expanduser(command[0]), *command[1:])
    return tuple(command)
