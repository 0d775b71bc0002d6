"""``sim.results.jsontext.dumps`` writes what ``json.dumps(obj, indent=1, ensure_ascii=False)``
writes, byte for byte (the ``kpis.json`` text)."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.results.jsontext import dumps
from sim.results.stats import KpiSummary

SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8))
TREES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.tuples(inner, inner)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=30)


def _stdlib(obj: object) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_any_tree_as_the_standard_library(tree):
    assert dumps(tree) == _stdlib(tree)


def test_keys_that_are_no_strings_and_odd_values():
    tree = {7: [1.5, None, 2, True], 2.5: {}, True: [], None: math.nan, False: -math.inf,
            "中文\n\"q\"": [np.float64(0.1), math.inf, [], [[]], {"a": ()}]}
    assert dumps(tree) == _stdlib(tree)
    deep = {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1.0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
    assert dumps(deep) == _stdlib(deep)


def test_kpi_summaries_as_their_json():
    kpis = {"a": KpiSummary(0.5, 0.25, None, (1, 2.5, None)),
            "b": KpiSummary(None, None, None, (), None),
            "c": KpiSummary(3.0, 1.0, 5.0, (2.0, 4.0), (10.0, 0.0))}
    assert dumps({"k": kpis}) == _stdlib({"k": {n: k.to_json() for n, k in kpis.items()}})


def test_what_json_cannot_hold_is_refused():
    for bad in ({"a": object()}, [np.int64(1)], {(1, 2): 3}):
        with pytest.raises(TypeError):
            dumps(bad)
        with pytest.raises(TypeError):
            _stdlib(bad)
