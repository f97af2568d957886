from tests.hosts.hostkit import http_server, sandbox, team_server  # noqa: F401  (fixtures)
