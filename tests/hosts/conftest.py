from tests.hosts.hostkit import http_server, sandbox  # noqa: F401  (fixtures)
