"""The model's record log: packed into numpy blocks while running, read back unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.record import FIELD, INT, LEG_FIELDS, LEG_NAMES, PACKED, unpack_record
from sim.model.record_log import RecordLog


def _record(call_id: int, leg: int, t: float) -> tuple:
    values = []
    for f in LEG_FIELDS:
        if f.name == "call_id":
            values.append(call_id)
        elif f.name == "leg":
            values.append(leg)
        elif f.name == "deadline":
            values.append(math.inf if leg % 2 else t + 60.0)
        elif f.dtype == INT:
            values.append((call_id * 7 + leg) % 5 - 1)
        else:
            values.append(math.nan if leg == 2 else t + 0.001 * call_id)
    return tuple(values)


def _packed(call_id: int, leg: int, t: float) -> bytes:
    return PACKED.pack(*_record(call_id, leg, t))


def _same(a: tuple, b: tuple) -> bool:
    return all((x == y or (x != x and y != y)) and type(x) is type(y)
               for x, y in zip(a, b, strict=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3)), unique=True, max_size=60),
       st.lists(st.integers(0, 60), max_size=5))
def test_read_back_as_appended_sorted_by_call_and_leg(keys, flush_at):
    log, plain = RecordLog(), []
    for k, (call_id, leg) in enumerate(keys):
        if k in flush_at:
            log.flush()
        rec = _record(call_id, leg, 10.0 * k)
        log.append(PACKED.pack(*rec))
        plain.append(rec)
        assert _same(unpack_record(PACKED.pack(*rec)), rec)
    plain.sort()
    assert len(log) == len(plain)
    got = list(log)
    assert len(got) == len(plain) and all(_same(a, b) for a, b in zip(got, plain, strict=True))
    cols = log.columns()
    assert set(cols) == set(LEG_NAMES)
    for f in LEG_FIELDS:
        col = cols[f.name]
        assert col.dtype == (np.int64 if f.dtype == INT else np.float64)
        expected = np.array([r[FIELD[f.name]] for r in plain], dtype=col.dtype)
        assert np.array_equal(col, expected, equal_nan=f.dtype != INT)
    if plain:
        assert _same(log[0], plain[0]) and _same(log[-1], plain[-1])


def test_legs_after_sealing_join_the_next_seal():
    log = RecordLog()
    log.append(_packed(5, 0, 1.0))
    log.seal()
    log.append(_packed(2, 1, 2.0))
    log.append(_packed(2, 0, 3.0))
    assert len(log) == 3
    assert [(r[FIELD["call_id"]], r[FIELD["leg"]]) for r in log] == [(2, 0), (2, 1), (5, 0)]


def test_columns_are_read_only_and_empty_log_has_empty_columns():
    log = RecordLog()
    assert len(log) == 0 and list(log) == []
    cols = log.columns()
    assert all(len(c) == 0 for c in cols.values())
    log.append(_packed(1, 0, 1.0))
    with pytest.raises(ValueError):
        log.columns()["arrival"][0] = 9.0
    with pytest.raises(IndexError):
        log[1]
