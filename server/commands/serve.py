"""`switchboard serve [--http [--host H] [--port N]]` and `switchboard dashboard`; SWITCHBOARD_HTTP_TOKEN guards HTTP."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import sys
import threading

from router_core.settings import Settings
from server.commands._common import END_OF_INPUT, CommandError, router_errors, watched_settings

log = logging.getLogger(__name__)


def register(sub) -> None:
    s = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    s.add_argument("--http", action="store_true", help="serve Streamable HTTP on 127.0.0.1 instead of stdio")
    s.add_argument("--host", help="HTTP bind address (default 127.0.0.1; others are warned about unless SWITCHBOARD_HTTP_TOKEN is set)")
    s.add_argument("--port", type=int, help="HTTP port (default 8765)")
    s.set_defaults(func=serve)

    d = sub.add_parser("dashboard", help="serve over HTTP and open the dashboard in a browser")
    d.add_argument("--port", type=int, default=8765, help="HTTP port on 127.0.0.1 (default 8765)")
    d.add_argument("--no-open", action="store_true", help="don't open a browser")
    d.set_defaults(func=dashboard)


@router_errors
def serve(args) -> int:
    token = None
    if not args.http and (args.host, args.port) != (None, None):  # stdio would wait on stdin, ignoring them
        raise CommandError("--host and --port are for HTTP: add --http (switchboard serve --http --port N)")
    args.host, args.port = args.host or "127.0.0.1", 8765 if args.port is None else args.port
    if args.http:
        _check_port(args.port)
        token = http_token()
        _check_host(args.host, token)
    parts, settings = _server()
    if not args.http:
        import anyio

        from server.stdio import serve_stdio

        anyio.run(serve_stdio, parts.mcp, _said_at_a_terminal)
        return 0
    run_http(parts, host=args.host, port=args.port, token=token, settings=settings)
    return 0


def _said_at_a_terminal(on_terminal: bool) -> None:
    if on_terminal:  # typed by hand: it showed nothing and seemed to hang
        print("switchboard: serving MCP, waiting for an MCP client on stdin: an assistant starts this command "
              f"itself (`switchboard install <host>` registers it); {END_OF_INPUT} or Ctrl-C stops it",
              file=sys.stderr, flush=True)


@router_errors
def dashboard(args) -> int:
    _check_port(args.port)
    token = http_token()
    parts, settings = _server()
    url = f"http://127.0.0.1:{args.port}/dashboard"

    def listening() -> None:
        print(f"Dashboard: {url}  (MCP endpoint: http://127.0.0.1:{args.port}/mcp)", file=sys.stderr)
        if not args.no_open:
            import webbrowser

            threading.Timer(1.0, lambda: webbrowser.open(url)).start()

    run_http(parts, host="127.0.0.1", port=args.port, token=token, on_listening=listening, settings=settings)
    return 0


def _server():
    """The server parts on the user's checked settings (and those settings); its core follows edits of their
    budget."""
    from server.app import build_server
    from server.core_factory import build_core

    s, watch = watched_settings()
    s = _checked(s)
    return build_server(s, core_factory=lambda: build_core(s, settings_updates=watch)), s


def state_note(s: Settings) -> str:
    """Where an HTTP server keeps what its clients share, and the budget they share, for whoever started it: run
    under another account or SWITCHBOARD_HOME, it keeps another budget than `switchboard budget` shows there."""
    from router_core.budget_text import money

    # The spend is the state dir's, the daily total and allocations each process's own: `switchboard budget` run
    # with the state dir alone showed the team's spend against its own $100 default, with alerts to match.
    return (f"state dir {s.state_dir} (the spend, usage and audit log that every client of this server, and any "
            f"switchboard command run with this state dir, share); "
            f"daily budget {money(s.budget.daily_total)} ({s.budget.timezone}) from this configuration: "
            f"{', '.join(s.sources) or 'built-in defaults'} (a switchboard command applies its own: run `switchboard "
            f"budget` with this state dir and configuration to see the team's spend against it)")


def _checked(s: Settings) -> Settings:
    """``s``, once its state database and audit dir open: the server builds its core in the background
    while the MCP handshake runs, where a corrupt state dir would end in a traceback, not a message
    (StateUnusable)."""
    from router_core.audit import JsonlAuditLog
    from router_core.clock import SystemClock
    from router_core.core import AUDIT_DIRNAME, DB_FILENAME
    from router_core.store.db import Database

    Database(s.state_dir / DB_FILENAME).close()
    JsonlAuditLog(s.state_dir / AUDIT_DIRNAME, s.audit, SystemClock()).close()
    return s


def http_token() -> str | None:
    """SWITCHBOARD_HTTP_TOKEN (server/http_auth.py), None when unset; a weak one stops the start (exit 2)."""
    from server.http_auth import TokenProblem, token_from_env

    try:
        return token_from_env()
    except TokenProblem as exc:
        raise CommandError(str(exc)) from exc


def _check_host(host: str, token: str | None = None) -> None:
    # Without a token the endpoint has no authentication and its tools spend the user's budget. The SDK's
    # guard and the dashboard's answer only requests naming this machine, which stops browsers (DNS
    # rebinding), not a client on the network that sends such a Host itself. A container needs 0.0.0.0 to
    # publish its port, so a wider bind is allowed, with a warning. With a token every request needs it.
    from server.dashboard import LOCAL_NAMES  # the names the host guards accept

    if token is None and host not in LOCAL_NAMES:
        log.warning(
            "--host %s: the HTTP endpoint has no authentication and can spend your provider budget; anyone who "
            "can reach this address can use it. Bind 127.0.0.1 unless this is a container whose port is published "
            "on the host's loopback only (docker run -p 127.0.0.1:8765:8765). To serve a team, set "
            "SWITCHBOARD_HTTP_TOKEN (or SWITCHBOARD_HTTP_TOKEN_FILE) where this server starts (sudo and systemd "
            "units don't pass on your shell's) and restart it: without it, assistants on other machines are "
            "refused (421 Invalid Host header)", host,
        )


def _check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, got {port}")


def run_http(parts, *, host: str, port: int, token: str | None = None, on_listening=None,
             settings: Settings | None = None) -> None:
    """Serve ``parts`` over HTTP; the address is bound first, so that one in use is a CommandError (exit
    2) before anything announces it, not uvicorn's 'ERROR: ... address already in use' and exit 3. The
    ``settings`` served, if given, are said too (their state dir and budget)."""
    from server.http_app import build_http_app

    app = build_http_app(parts, token=token)
    with _listening_socket(host, port) as sock:
        if on_listening is not None:
            on_listening()
        print(f"Switchboard MCP over Streamable HTTP at {_url(host, port)}/mcp", file=sys.stderr)
        if token is not None:
            print(listening_note(host, port), file=sys.stderr)
        if settings is not None:
            print(state_note(settings), file=sys.stderr)
        serve_app(app, sock, host=host, port=port, stopping=getattr(parts.mcp, "stopping", None))


def serve_app(app, sock: socket.socket, *, host: str, port: int, stopping=None) -> None:
    """uvicorn serving ``app`` on the bound ``sock`` until Ctrl-C or SIGTERM (exit 0, as ``uvicorn.run`` did);
    stopping ends open streams and gives tool calls in flight a grace period (server/http_shutdown.py), told to
    ``stopping`` (router_core/execution/stopping.py: run_batch starts no task more)."""
    from server.http_shutdown import server_for

    with contextlib.suppress(KeyboardInterrupt):
        # log_config None: uvicorn's loggers go to the CLI's handler, which redacts credentials (its own
        # handlers would print an ASGI traceback quoting a key as it is)
        server_for(app, {"host": host, "port": port, "log_level": "warning", "log_config": None},
                   stopping=stopping).run(sockets=[sock])


def _listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (uvicorn listens on it), or a CommandError that says what to do."""
    # IPv6 only for an address with a ':', as uvicorn's own bind: 'localhost' stays 127.0.0.1 even where
    # /etc/hosts lists ::1 first (the dashboard's URL and the host guards name 127.0.0.1).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:  # UnicodeError: an empty or over-long label ('192.168..5')
        why = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise CommandError(f"cannot listen on {host}: {why}; give --host as an address of this "
                           "machine (127.0.0.1, ::1, 0.0.0.0) or a name it resolves") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: restart over TIME_WAIT
        sock.bind(address)
    except OSError as exc:
        sock.close()
        hint = {errno.EADDRINUSE: "another program (perhaps another switchboard) is serving there; stop it or "
                "choose another --port", errno.EACCES: "ports below 1024 need privileges; choose another --port",
                errno.EADDRNOTAVAIL: "that address is not this machine's; give --host 127.0.0.1 or 0.0.0.0"}
        raise CommandError(f"cannot listen on {_url(host, port)}: {exc.strerror or exc}; "
                           f"{hint.get(exc.errno, 'choose another --port or --host')}") from None
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def listening_note(host: str, port: int) -> str:
    """Where teammates reach a token-guarded server, and what they must send (never the token itself)."""
    from server.http_auth import ENV, FILE_ENV

    if host in ("0.0.0.0", "::", ""):
        where = (f"listening on all interfaces; other machines use this one's name or address, "
                 f"e.g. {_url(socket.gethostname(), port)}/mcp")
    else:
        where = f"listening on {host}"
    source = f"the token in the file {FILE_ENV} names" if os.environ.get(FILE_ENV) else f"the value of {ENV}"
    return (f"{where}. Every request must send 'Authorization: Bearer <token>' ({source}); the dashboard at "
            f"/dashboard asks for it once. Plain HTTP carries the token in clear: use TLS (a reverse proxy) or a VPN "
            f"beyond a trusted network.")
