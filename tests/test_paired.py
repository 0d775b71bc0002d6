"""Paired-difference Student-t intervals (sim.results.paired) against hand-computed values."""

from __future__ import annotations

import math

import pytest

from sim.results.paired import paired_diff, paired_entries, unpaired_half_width


def test_paired_interval_matches_the_hand_computation():
    # d = (1, 2, 2, 1): mean 1.5, s_d = sqrt(1/3), se = s_d / 2; t(0.975, 3) = 3.182446 (tables)
    d = paired_diff([1, 2, 3, 4], [2, 4, 5, 5])
    half = 3.182446 * math.sqrt(1 / 3) / 2
    assert d.delta == pytest.approx(1.5)
    assert (d.low, d.high) == pytest.approx((1.5 - half, 1.5 + half), abs=1e-5)
    # t = 1.5 / se = 5.196; two-sided p of Student t with 3 df (tables: 0.01385)
    assert d.p_value == pytest.approx(0.013847, abs=1e-5)
    assert d.significant and d.pairs == 4


def test_pairs_with_an_undefined_value_are_dropped_and_degenerate_cases_are_exact():
    d = paired_diff([1.0, None, 3.0, float("nan")], [2.0, 5.0, 4.5, 1.0])
    assert d.pairs == 2 and d.delta == pytest.approx(1.25)
    same = paired_diff([1, 2, 3], [2, 3, 4])  # every difference is 1: no variance
    assert (same.low, same.high, same.p_value) == (1, 1, 0.0)
    assert paired_diff([1, 2], [1, 2]).p_value == 1.0
    one = paired_diff([1], [3])
    assert one.delta == 2 and one.low is None and one.p_value is None and not one.significant
    assert paired_diff([None], [1]) is None
    assert paired_entries(None, {"values": [1]}) is None


def test_pairing_removes_the_shared_noise_that_the_unpaired_interval_keeps():
    base = [10.0, 20.0, 30.0, 40.0, 50.0]
    variant = [b + 1 + e for b, e in zip(base, [0.1, -0.1, 0.05, -0.05, 0.0], strict=True)]
    d = paired_entries({"values": base}, {"values": variant})
    unpaired = unpaired_half_width({"values": base}, {"values": variant})
    assert d.half_width < 0.2 < 10 < unpaired
    assert d.significant
