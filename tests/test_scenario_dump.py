"""``dump_resolved`` writes PyYAML's pure-Python text, through libyaml only where that agrees."""

import pytest
import yaml

from sim.scenario import dump_resolved, load_scenario
from sim.scenario.loader import _agreed, dump_yaml

TRICKY = ["a " * 100, "甘肃省 " * 40, "甘肃省" * 50, "x: y", " lead", "trail ", "multi\nline\n",
          "tab\there", "cr\rhere", "'quoted'", '"dq"', "yes", "null", "1.0", "~", "- item",
          "a #b", "é" * 90, "\u2028", "\u2029", "\x85", "\x7f", "\ufeff", "😀 emoji", "", "  ",
          "2024-06-03T00:00:00+08:00", "12:30", ".inf", "on", "<<", "a" * 200,
          "long line with many words that goes past eighty columns and keeps on going\nmore " * 3]


def _python(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize("name", ["gansu-baseline", "jishishan-earthquake", "flood",
                                  "epidemic-consult-surge", "utility-merge"])
def test_shipped_scenarios_use_libyaml_and_give_the_python_text(name):
    scenario = load_scenario(name)
    data = scenario.model_dump(mode="json", by_alias=True)
    assert _agreed(data) == (yaml.__with_libyaml__ is True)
    assert dump_resolved(scenario) == _python(data)


@pytest.mark.parametrize("text", TRICKY)
def test_any_string_gives_the_python_text(text):
    for data in ({"k": text}, {"k": [text, {"n": text}]}, {text or "e": 1}, [text]):
        assert dump_yaml(data) == _python(data)


def test_text_libyaml_writes_otherwise_is_not_agreed():
    assert _agreed({"name": "甘肃 12345", "n": [1, 2.5, None, True]})
    for bad in ("😀", "\x85", "\ufeff", "\u2028", "\t"):
        assert not _agreed({"k": [bad]})
    assert not _agreed({"é" * 64: 1}) and _agreed({"é" * 63: 1})
