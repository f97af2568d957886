"""`install --url ... --token-env NAME`: a token pasted where the variable's name belongs is refused, whatever
its alphabet (install would write it into the host's file as the name, and print it)."""

from __future__ import annotations

import argparse
import io

import pytest

from server.commands.install import register
from server.install.remote import RemoteServerError, remote_server

URL = "https://build-box.example:8765/mcp"


def run(argv: list[str], ctx) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="switchboard")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out = io.StringIO()
    return args.func(args, ctx=ctx, out=out), out.getvalue()


@pytest.mark.parametrize("value", [
    "a3f9c0d41b7e8f2a6c5d9e0b1a2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",  # openssl rand -hex 32
    "e1d2c3b4a5968778695a4b3c2d1e0f9a",  # secrets.token_hex(16), uuid4().hex
    "DEADBEEF0123456789ABCDEF01234567",  # hex in upper case
    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",  # base32 (an OTP-style secret)
])
def test_a_pasted_hex_or_base32_token_is_refused_and_not_echoed(ctx, snapshot, capsys, value):
    # Such a token starting with a letter is a valid variable name, and has only one case: it was written
    # into .mcp.json / config.toml as the variable's name and repeated in the "is not set here" warning.
    for host in ("claude-code", "codex", "gemini"):
        code, out = run(["install", host, "--url", URL, "--token-env", value], ctx)
        err = capsys.readouterr().err
        assert code == 2 and "looks like a token" in err, err
        # why, as it is: it said "with lower and upper case letters" of tokens in one case
        assert "lower and upper case" not in err and "no _ between words" in err, err
        assert value not in err and value not in out
    assert snapshot(ctx.home.parent) == {}


@pytest.mark.parametrize("name", ["SWITCHBOARD_TOKEN", "MY_TEAM_TOKEN_2024", "team_token_v2", "SB_TOKEN_0123456789",
                                  "SWITCHBOARDTOKEN", "TOKEN", "GITHUB_PAT_2"])
def test_real_variable_names_are_accepted(name):
    server, _ = remote_server(URL, name, {name: "x" * 32}, "codex")
    assert server.token_env == name


def test_the_check_runs_before_anything_is_echoed():
    with pytest.raises(RemoteServerError) as refused:
        remote_server(URL, "e1d2c3b4a5968778695a4b3c2d1e0f9a", {}, "gemini")
    assert "e1d2c3b4a5968778695a4b3c2d1e0f9a" not in str(refused.value)
