"""Review of issue 16's speed work (7d4209d..cfb5431): each test names a claim of the change
that does not hold ("the same bytes/text as before"), found by comparing against the code it
replaced (PyYAML's pure-Python emitter, ``%`` formatting)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from sim.scenario import dump_resolved, load_scenario


def _python_yaml(data: object) -> str:
    """What ``dump_resolved`` wrote before a38c654 (and claims to write still)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# -- dump_resolved / dump_yaml (a38c654): libyaml used where it does not write PyYAML's text ----

# A description written as a YAML block (``description: |``) with an indented line: the
# string needs double quotes, and libyaml folds a long double-quoted line at a space where
# PyYAML escapes the break (``\`` then ``\ ``): scenario.resolved.yaml's text changes.
INDENTED_NOTE = ("Flood week.\n  - the Longnan rivers rise over two days, and the 119 and 120 "
                 "lines take the surge\n")


def test_dump_resolved_long_double_quoted_description_is_pythons_text():
    """scenario.resolved.yaml of a scenario whose description is a multi-line block with an
    indented line differs from PyYAML's (a38c654 claims the same bytes)."""
    scenario = load_scenario("flood").model_copy(update={"description": INDENTED_NOTE})
    data = scenario.model_dump(mode="json", by_alias=True)
    assert dump_resolved(scenario) == _python_yaml(data)


@pytest.mark.parametrize("text", [
    INDENTED_NOTE,
    "a " * 50 + "\n",  # a trailing newline after spaces: double quotes, folded differently
    'say "hi" ' * 12 + "\n",
    "Line one of a note.\nLine two, " + "word " * 20 + "end  \nlast",
])
def test_dump_yaml_folds_long_double_quoted_strings_as_pyyaml(text):
    """``_agreed`` lets these through to libyaml, which folds a long double-quoted scalar at a
    space without PyYAML's escaped line break."""
    from sim.scenario.loader import dump_yaml  # (new in a38c654)

    data = {"description": text}
    assert dump_yaml(data) == _python_yaml(data)


def test_dump_yaml_empty_key_as_pyyaml():
    """An empty string key: PyYAML writes a complex key (``? ''``), libyaml a simple one
    (``'': 1``); ``_agreed`` lets it through (tests/test_scenario_dump.py avoids it with
    ``text or "e"``)."""
    from sim.scenario.loader import dump_yaml  # (new in a38c654)

    for data in ({"": 1}, {"k": {"": [1, 2]}}):
        assert dump_yaml(data) == _python_yaml(data)


# -- csvtext.general (144a5bb): "%.{digits}g" only for small ``digits`` ----------------------

@pytest.mark.parametrize(("digits", "value"), [
    (13, -0.0018864392692515),
    (14, -0.21766191276931499),
    (15, 0.05680169238026675),
    (16, 0.0001),   # prints '294967295.0001' (an overflowed scaled integer)
    (17, -0.5),     # prints '-0.13106511852580896768'
])
def test_general_is_percent_g_for_any_digits(digits, value):
    """``general(values, digits)`` is documented as ``%.{digits}g``, but past 12 digits the
    scaled value ``|x| * 10**(digits + 3)`` leaves ``scaled_round``'s exact range (< 2**52) and
    the text is wrong (only ``digits=6`` is used today: a trap for the next caller)."""
    from sim.results import csvtext  # (general: new in ea6292b/144a5bb)

    cells = csvtext.general(np.array([value]), digits)
    text = b"".join(csvtext.csv_rows([cells])).decode()
    assert text == "%.*g\n" % (digits, value)  # noqa: UP031 (the format claimed)
