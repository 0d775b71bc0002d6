"""`--set` on lists: the index syntax and the errors that teach it."""

from __future__ import annotations

import re

import pytest

from sim.domain.errors import ScenarioError
from sim.scenario import load_scenario
from sim.scenario.overrides import apply_override


def test_index_syntax_sets_one_entry_and_leaves_the_others():
    data = {"b": [{"enabled": True, "cap": 1}, {"enabled": True}]}
    out = apply_override(data, ("b", "0", "enabled"), False)
    assert out == {"b": [{"enabled": False, "cap": 1}, {"enabled": True}]}
    assert data["b"][0]["enabled"] is True  # a copy, the input untouched
    assert apply_override(data, ("b", "-1", "cap"), 5)["b"][1] == {"enabled": True, "cap": 5}


@pytest.mark.parametrize(("path", "message"), [
    (("b", "enabled"), r"'b' is a list of 2: give an index, e.g. b\.0\.enabled \(0 to 1\)"),
    (("b", "2", "enabled"), r"index 2 is out of range: 'b' has 2 entries \(0 to 1\)"),
])
def test_list_errors_name_the_key_and_the_syntax(path, message):
    with pytest.raises(ScenarioError, match=message):
        apply_override({"b": [{}, {}]}, path, False)


def test_the_run_help_example_works_on_the_earthquake(cli):
    scn = load_scenario("jishishan-earthquake", ["borrowing.0.enabled=false"])
    assert [b.enabled for b in scn.borrowing] == [False, True]
    result = cli("check", "jishishan-earthquake", "--set", "borrowing.enabled=false")
    assert result.exit_code == 2 and "borrowing.0.enabled" in result.output
    from cli import run

    assert "--set borrowing.0.enabled=false" in run.help


@pytest.mark.parametrize("index", ["0_0", "+0", " 0", "0x0", "-0", "1e0"])
def test_only_plain_whole_numbers_are_list_indexes(index):
    with pytest.raises(ScenarioError, match=r"plain whole number or -1 for the last; got "
                                            + re.escape(repr(index))):
        apply_override({"b": [{}, {}]}, ("b", index, "enabled"), False)


@pytest.mark.parametrize(("override", "key"), [
    ("horizon_hours.0=3", "horizon_hours"),
    ("borrowing.1.5.enabled=false", "borrowing.1.5"),
])
def test_errors_an_override_makes_are_blamed_on_set_not_the_file(cli, override, key):
    result = cli("check", "jishishan-earthquake", "--set", override)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: --set: {key}:"), result.output
    assert ".yaml" not in result.output.splitlines()[0]
