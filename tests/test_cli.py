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


def _params(name: str) -> list[tuple[str, click.Parameter]]:
    commands = [*all_commands(main)]
    drill = main.commands["drill"]
    commands.append(("drill (build)", drill.build))  # the build form is not a subcommand
    return [(cmd_name, p) for cmd_name, cmd in commands for p in cmd.params
            if isinstance(p, click.Option) and name in p.opts]


def test_shared_options_have_one_meaning_everywhere():
    """--jobs: replication processes, 0 = one per core (the callback turns 0 into the count);
    --set, -r, --seed, --lang, -q: one type and one parameter name each (issue 15)."""
    from sim.commands.options import all_cores

    jobs = _params("--jobs")
    assert {n for n, _ in jobs} >= {"run", "validate", "compare", "sweep", "staff", "roster"}
    for name, p in jobs:
        assert (p.callback, p.default, p.opts, p.name) == (all_cores, 0, ["--jobs", "-j"],
                                                           "jobs"), name
    assert all_cores(None, None, 0) >= 1 and all_cores(None, None, 3) == 3
    sets = [p for n, p in _params("--set") if not n.startswith(("trace",))]
    assert len(sets) >= 8 and all((p.name, p.multiple, p.metavar) == ("overrides", True,
                                                                     "PATH=VALUE") for p in sets)
    for option, name in (("--replications", "replications"), ("--seed", "seed"),
                         ("--quiet", "quiet"), ("--lang", "lang")):
        found = _params(option)
        assert found and all(p.name == name for _, p in found), option
    assert all(p.opts == ["--replications", "-r"] for _, p in _params("--replications"))
    assert all(set(p.type.choices) == {"en", "zh"} for _, p in _params("--lang"))


def test_the_top_cli_only_assembles_and_the_commands_never_import_loadtest():
    import ast

    repo = Path(__file__).parents[1]
    tree = ast.parse((repo / "cli.py").read_text(encoding="utf-8"))
    decorated = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                 and n.decorator_list]
    assert decorated == ["main"]  # the group; every command lives in sim.commands or loadtest
    for path in (repo / "sim" / "commands").rglob("*.py"):  # loadtest's are added by cli.py
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "loadtest" for n in names), path
