"""The `hotline drill` command line: the build form next to subcommands, help, bad input."""

from __future__ import annotations

import click
import pytest

from sim.commands.drill import drill, parse_duration
from sim.domain.errors import InputError


def test_every_drill_command_and_option_has_help(drill_cli):
    group_help = drill_cli("--help").output
    assert "play" in group_help and "score" in group_help and "--duration" in group_help
    commands = [drill.build, *drill.commands.values()]
    for command in commands:
        assert command.help and len(command.help) > 20
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"{command.name} {param.opts}"
    assert "Usage: hotline drill [OPTIONS] [SCENARIO]" in drill_cli("x", "--help").output


@pytest.mark.slow
def test_the_build_form_runs_a_scenario(small_scenario, drill_cli, tmp_path):
    result = drill_cli(small_scenario, "--duration", "30m", "--trainees", 2, "--start", "1h",
                       "--lang", "en", "--out", tmp_path / "d")
    assert result.exit_code == 0, result.output
    assert "injects for 2 trainees" in result.output
    assert (tmp_path / "d" / "script.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    sheet = (tmp_path / "d" / "trainee-sheet.md").read_text(encoding="utf-8")
    assert "## T1" in sheet and "## T2" in sheet and "Answer" not in sheet


@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("1h30m", 5400), ("5400s", 5400),
                                               ("5400", 5400), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text, "--duration") == seconds


def test_bad_input_exits_2(drill_cli, run_dir, tmp_path):
    assert drill_cli("--from-run", run_dir, "--duration", "soon", "--out", tmp_path).exit_code == 2
    assert drill_cli("--from-run", run_dir, "--duration", "1h", "--start", "9h",
                     "--out", tmp_path).exit_code == 2
    assert drill_cli("--from-run", tmp_path, "--duration", "1h", "--out", tmp_path).exit_code == 2
    assert drill_cli("play", tmp_path).exit_code == 2
    with pytest.raises(InputError):
        parse_duration("", "--duration")
