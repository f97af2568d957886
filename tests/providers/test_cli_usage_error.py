"""Only a CLI's own usage error (its parser's exit status and shape) is a refused command line (cli_usage_error.py)."""

from __future__ import annotations

import pytest

from router_core.errors import NotConfigured, RouterError
from router_core.providers import CompletionRequest
from router_core.providers.cli_usage_error import refused_arguments
from tests.providers.test_cli_processes import fake_cli

CLAP = ("error: unexpected argument '--json' found\n\n  tip: to pass '--json' as a value, use '-- --json'\n\n"
        "Usage: codex exec [OPTIONS] [PROMPT] [COMMAND]\n\nFor more information, try '--help'.\n")
CLAP_VALUE = "error: a value is required for '--model <MODEL>' but none was supplied\n\nFor more information, try '--help'.\n"
COMMANDER = "error: unknown option '--output-format'\n"
COMMANDER_SUGGESTS = "error: unknown option '--verbos'\n(Did you mean --verbose?)\n"
YARGS_LAST = ("Usage: gemini [options] [command]\n\nGemini CLI - Launch an interactive CLI\n\n"
              "Unknown argument: output-format\n")
YARGS_FIRST = "Not enough arguments following: m\nUsage: gemini [options] [command]\n"
NODE_WARNING = ("(node:4242) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.\n"
                "(Use `node --trace-deprecation ...` to show where the warning was created)\n")


@pytest.mark.parametrize(("stderr", "status", "line"), [
    (CLAP, 2, "error: unexpected argument '--json' found"),
    (CLAP_VALUE, 2, "error: a value is required for '--model <MODEL>' but none was supplied"),
    (COMMANDER, 1, "error: unknown option '--output-format'"),
    (COMMANDER_SUGGESTS, 1, "error: unknown option '--verbos'"),
    (NODE_WARNING + COMMANDER, 1, "error: unknown option '--output-format'"),
    (YARGS_LAST, 1, "Unknown argument: output-format"),
    (YARGS_FIRST, 1, "Not enough arguments following: m"),
])
def test_each_parsers_usage_error_is_a_refused_command_line(stderr, status, line):
    assert refused_arguments(stderr, status) == line


@pytest.mark.parametrize(("stderr", "status"), [
    (CLAP, 1),  # clap exits 2
    (COMMANDER, 2),  # commander exits 1
    ("reading prompt from stdin\nerror: unexpected argument '--x' found\nthe run failed\n", 2),  # mid-run, no trailer
    # a plugin's (an MCP server's) warning quoting an option of its own, then the run's own failure
    ("[mcp] github: error: unknown option '--toolsets'\nerror: unknown option '--toolsets'\n"
     "API Error: 500 Internal server error\n", 1),
    ("Unknown argument: verbose\nloaded 3 extensions\nAPI error 503\n", 1),  # yargs' words, no usage, mid-run
    ('{"type":"error","message":"error: unknown option \'--x\'"}\n', 1),  # the CLI's own JSON report
])
def test_such_a_line_outside_its_parsers_shape_is_not(stderr, status):
    assert refused_arguments(stderr, status) is None


async def test_a_plugins_unknown_option_warning_does_not_make_a_failed_run_a_refused_command_line(tmp_path):
    # An MCP server the CLI started warned of an option of its own, and the run then failed at the provider: it
    # was NotConfigured ("refused its command line ... update the CLI"), no retry, the wrong advice.
    adapter = fake_cli(tmp_path, """
        import sys
        sys.stdin.read()
        sys.stderr.write("error: unknown option '--toolsets'\\n")
        sys.stderr.write("ERROR: unexpected status 503 Service Unavailable: upstream connect error\\n")
        sys.exit(1)
    """)
    with pytest.raises(RouterError) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    assert not isinstance(caught.value, NotConfigured), caught.value
