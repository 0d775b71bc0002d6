"""The command line: help everywhere, README coverage, the analytic calculators, check."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from cli import main

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix}{name}", cmd))
        if isinstance(cmd, click.Group):
            out += all_commands(cmd, f"{prefix}{name} ")
    return out


@pytest.mark.parametrize(("name", "command"), all_commands(main), ids=lambda x: str(x))
def test_every_command_has_help_and_a_readme_example(cli, name, command):
    assert command.help and len(command.help.strip()) > 20, f"{name} needs help text"
    result = cli(*name.split(), "--help")
    assert result.exit_code == 0
    assert f"hotline {name}" in README, f"README has no example of `hotline {name}`"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name != "help":
            assert param.help, f"{name} {param.opts} has no help text"


def test_erlang_calculators_print_known_values(cli):
    assert "P(block) = 0.5\n" in cli("erlang", "b", "-n", 1, "-a", 1).output
    out = cli("erlang", "c", "-n", 12, "--rate", 10, "--talk", 1).output
    assert re.search(r"P\(wait\) = 0\.449388", out)
    out = cli("erlang", "a", "-n", 50, "--rate", 45, "--talk", 1, "--patience", 2).output
    assert "P(abandon) = 0.0147224" in out and "P(wait>0) = 0.279575" in out


def test_bad_argument_exits_2(cli):
    assert cli("erlang", "b", "-n", 0, "-a", 1).exit_code == 2
    assert cli("run", "--jobs", "-1").exit_code == 2
    assert cli("run", "--replications", "0").exit_code == 2


def test_check_warns_where_load_reaches_seats(cli, write_scenario):
    path = write_scenario({
        "name": "thin", "horizon_hours": 24,
        "lines": {"110": {"talk": {"dist": "exponential", "mean": 360}}},
        "centres": {"620100/110": {"calls_per_day": 2400, "seats": 10},
                    "620200/110": {"calls_per_day": 240, "seats": 10}}})
    out = cli("check", path).output
    assert re.search(r"620100/110 .* WARNING load ≥ seats in hours 0-23", out)  # 10 Erl vs 10
    assert re.search(r"620200/110 .* ok", out)
    assert "1 of 2 centres" in out


def test_scenarios_lists_the_builtins(cli):
    out = cli("scenarios").output
    assert "gansu-baseline" in out and "validation/mmcm-50" in out and "_base" not in out
