"""Install and uninstall through a plan, as the command does, for the host-file tests."""

from __future__ import annotations

from server.install import HOSTS, apply_plan, plan_install, plan_uninstall

EXE = "/opt/sb/.venv/bin/switchboard"  # the server command the ctx fixture installs (tests/install/conftest.py)


def install(host, scope, ctx):
    plan = plan_install(HOSTS[host], scope, ctx)
    return plan, apply_plan(plan, ctx)


def uninstall(host, scope, ctx):
    plan = plan_uninstall(HOSTS[host], scope, ctx)
    return plan, apply_plan(plan, ctx)
