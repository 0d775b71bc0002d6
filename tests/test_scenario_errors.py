"""Bad scenario input: a clear error naming the file, key path and expectation; exit 2; nothing written."""

from __future__ import annotations

import pytest
import yaml

from sim.domain.errors import ScenarioError
from sim.scenario import load_scenario

GOOD = """\
name: good
horizon_hours: 2
lines:
  "110":
    talk: {dist: exponential, mean: 60}
    patience: {dist: exponential, mean: 60}
    redial: {after_abandon: 0.2}
centres:
  "620100/110": {calls_per_day: 1000, seats: 3}
"""

# (what is wrong, a change to GOOD, text the message must contain)
BAD = [
    ("unknown key", ("  \"620100/110\": {calls_per_day: 1000, seats: 3}",
                     "  \"620100/110\": {calls_per_day: 1000, seats: 3, seets: 4}"),
     ["centres.620100/110.seets", "unknown key"]),
    ("wrong type", ("calls_per_day: 1000", "calls_per_day: lots"),
     ["centres.620100/110.calls_per_day", "number"]),
    ("negative rate", ("calls_per_day: 1000", "calls_per_day: -5"),
     ["centres.620100/110.calls_per_day", "greater than or equal to 0"]),
    ("negative mean", ("talk: {dist: exponential, mean: 60}", "talk: {dist: exponential, mean: -60}"),
     ["lines.110.talk.mean", "greater than 0"]),
    ("probability above 1", ("after_abandon: 0.2", "after_abandon: 1.5"),
     ["lines.110.redial.after_abandon", "less than or equal to 1"]),
    ("probability below 0", ("after_abandon: 0.2", "after_abandon: -0.1"),
     ["lines.110.redial.after_abandon", "greater than or equal to 0"]),
    ("seat schedule too short", ("seats: 3", "seats: {hourly: [3]}"),
     ["centres.620100/110.seats.hourly", "horizon needs 2"]),
    ("unknown region", ('"620100/110"', '"629999/110"'),
     ["centres.629999/110", "region code '629999' does not exist"]),
    ("line without defaults", ('"620100/110"', '"620100/119"'),
     ["centres.620100/119", "line '119'"]),
    ("unknown distribution", ("talk: {dist: exponential, mean: 60}", "talk: {dist: weibull, k: 2}"),
     ["lines.110.talk", "weibull"]),
    ("not YAML", ("horizon_hours: 2", "horizon_hours: [2"), ["not valid YAML"]),
]


@pytest.mark.parametrize(("what", "change", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_scenario_names_the_key(write_scenario, cli, tmp_path, what, change, expected):
    path = write_scenario(GOOD.replace(*change))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(path) in message
    for text in expected:
        assert text in message, f"{what}: {text!r} not in {message!r}"
    out = tmp_path / "out"
    result = cli("run", path, "--out", out, "-q")
    assert result.exit_code == 2
    assert expected[0] in result.stderr
    assert not out.exists(), "nothing may be written for bad input"


def test_error_gives_the_file_line(write_scenario):
    path = write_scenario(GOOD.replace("after_abandon: 0.2", "after_abandon: 2"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line == 7


def test_set_override_is_typed_like_the_key(write_scenario):
    path = write_scenario(GOOD)
    scenario = load_scenario(path, ["centres.620100/110.seats.constant=7",
                                    "lines.110.talk.mean=90.5"])
    assert scenario.centres["620100/110"].seats.constant == 7
    assert scenario.lines["110"].talk.mean == 90.5
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["centres.620100/110.seats.constant=many"])
    assert "--set" in str(info.value) and "seats.constant" in str(info.value)
    with pytest.raises(ScenarioError, match="unknown key"):
        load_scenario(path, ["centres.620100/110.seatz=7"])
    with pytest.raises(ScenarioError, match="PATH=VALUE"):
        load_scenario(path, ["horizon_hours"])


def test_extends_merges_mappings_and_detects_cycles(write_scenario, tmp_path):
    write_scenario(GOOD, "base.yaml")
    child = write_scenario("extends: base.yaml\nname: child\ncentres:\n"
                           "  \"620100/110\": {calls_per_day: 50, seats: 1}\n", "child.yaml")
    scenario = load_scenario(child)
    assert scenario.name == "child" and scenario.lines["110"].talk.mean == 60
    assert scenario.centres["620100/110"].calls_per_day == 50
    write_scenario("extends: b.yaml\nname: a\n", "a.yaml")
    write_scenario("extends: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_missing_file_and_unknown_name(cli):
    assert cli("check", "no-such-scenario").exit_code == 2
    result = cli("check", "missing.yaml")
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_resolved_scenario_round_trips(write_scenario, tmp_path):
    from sim.scenario import dump_resolved
    scenario = load_scenario(write_scenario(GOOD))
    again = write_scenario(dump_resolved(scenario), "again.yaml")
    assert load_scenario(again) == scenario
    assert yaml.safe_load(dump_resolved(scenario))["lines"]["110"]["talk"]["mean"] == 60
