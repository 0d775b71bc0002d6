"""Review of session 23 (issue 16: speed, outputs byte-identical for the same seed).

Checks of the session's change that could break it: the small-n Python path of ``mean_ci`` /
``ratio_ci`` at its switch (7, 8, 9 replications), ``kpi_summary``'s JSON whichever path it
takes (NaN KPIs, zero denominators), ``_clean``'s pass-through, and the allocator leaving the
user's own malloc settings alone. ``test_glibc_tunables_are_the_users_settings_too`` fails on
main (see its docstring); the others pass.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim.results import allocator, stats
from sim.results.stats import kpi_summary, mean_ci, ratio_ci, t_quantile

# 1e16 + 1 rounds back to 1e16: one after the other the seven 1s are lost, numpy's unrolled
# pairwise sum of 8 or more values adds them among themselves first and keeps them
LOSSY = [1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]


def _numpy_mean_ci(values: list[float]) -> tuple[float, float, float]:
    """``mean_ci`` as numpy computed it before the session (f358fa0)."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = t_quantile(0.95, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def _bits(values) -> list[str]:
    return ["nan" if math.isnan(v) else float(v).hex() for v in values]


@pytest.mark.parametrize("n", [7, 8, 9])
def test_mean_ci_at_the_switch_to_numpy(n):
    """At 8 values numpy stops summing one after the other: the Python path must stop there
    too (at n = 8 the two sums of ``LOSSY`` differ, so a switch at 9 would fail here)."""
    values = LOSSY[:n]
    assert _bits(mean_ci(values)) == _bits(_numpy_mean_ci(values))


def test_the_switch_is_where_the_sums_part():
    """The premise of the switch: sequential and numpy sums agree below 8 values, not at 8."""
    assert stats._sum(LOSSY[:7]) == float(np.add.reduce(np.array(LOSSY[:7])))
    assert stats._sum(LOSSY[:8]) != float(np.add.reduce(np.array(LOSSY[:8])))
    assert stats._plain_floats(LOSSY[:7]) is not None and stats._plain_floats(LOSSY[:8]) is None


@pytest.mark.parametrize("n", [7, 8, 9])
def test_ratio_ci_at_the_switch_to_numpy(n):
    numerators, denominators = LOSSY[:n], [2.0] * n
    got = ratio_ci(numerators, denominators)
    want = stats._ratio_ci_numpy(np.asarray(numerators), np.asarray(denominators), 0.95, False)
    assert got.n == want.n == n
    assert _bits([got.value, got.low, got.high]) == _bits([want.value, want.low, want.high])


def _replications(n: int, scalar) -> list[dict]:
    """``n`` replications' KPIs as ``replication_kpis`` makes them: a line with no calls in
    some (NaN rates, zero denominators), whole and fractional counts, a negative zero."""
    reps = []
    for i in range(n):
        offered = 0 if i % 3 == 0 else 100 + 7 * i
        answered = 0 if offered == 0 else offered - 3 - i
        reps.append({name: scalar(v) for name, v in {
            "offered": float(offered), "human_offered": float(offered),
            "answered": float(answered), "abandoned": float(offered - answered),
            "blocked": 0.0, "unfinished": 0.0, "seat_hours": 24.0 * (1 + i % 2),
            "sl20": math.nan if offered == 0 else (answered - i) / offered,
            "abandon_rate": math.nan if offered == 0 else (offered - answered) / offered,
            "asa": math.nan if answered == 0 else 3.25 + i / 7,
            "occupancy": 0.0 if offered == 0 else answered * 180 / 3600 / (24.0 * (1 + i % 2)),
            "mean_talk": -0.0 if offered == 0 else 180.0 + i / 3,
        }.items()})
    return reps


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9])
def test_kpi_summary_json_is_the_same_on_either_path(n):
    """Python floats take the short path (n < 8), numpy scalars numpy's; ``kpis.json``'s text
    of every KPI must not tell them apart."""
    plain, numpy_scalars = _replications(n, float), _replications(n, np.float64)
    assert stats._plain_floats([r["asa"] for r in numpy_scalars]) is None
    for name in plain[0]:
        got = json.dumps(kpi_summary(name, plain).to_json())
        want = json.dumps(kpi_summary(name, numpy_scalars).to_json())
        assert got == want, name


@pytest.mark.parametrize("x", [3.0, -0.0, 0.0, 9999999999.0, -9999999999.0, 1e10, 2.0 ** 53,
                               12345678901.0, 1e300, 0.1 + 0.2, math.inf, True, 7,
                               np.float64(3.0), np.float64(-0.0), np.int64(4)])
def test_clean_writes_the_json_it_wrote_before(x):
    """``_clean`` before the session: NaN to null, floats (numpy's too) at 10 digits, the rest
    as it is; the same text, the same Python type (``3`` never for ``3.0``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        want = None
    elif isinstance(x, float):
        want = float(f"{x:.10g}")
    else:
        want = x
    got = stats._clean(x)
    assert type(got) is type(want)
    assert repr(got) == repr(want)  # (json.dumps writes a float as its repr)


@pytest.mark.skipif(allocator._glibc() is None, reason="glibc's malloc only")
def test_glibc_tunables_are_the_users_settings_too(monkeypatch):
    """FAILS on main: ``GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:glibc.malloc.trim_threshold=…``
    is how current glibc documents these settings (the ``MALLOC_*_`` variables are its older
    aliases), yet ``keep_freed_memory`` only looks for the two ``MALLOC_*_`` names and then
    overrides the user's tunables with ``mallopt``. Fix: also return False when
    ``GLIBC_TUNABLES`` names ``glibc.malloc.mmap_threshold`` or ``glibc.malloc.trim_threshold``."""
    for name in allocator._USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0")
    allocator.keep_freed_memory.cache_clear()
    try:
        assert allocator.keep_freed_memory() is False
    finally:
        allocator.keep_freed_memory.cache_clear()


def test_a_replication_leaves_no_memory_to_the_cycle_collector():
    """FAILS on main and before the session (pre-existing, not the allocator's doing): a
    replication's network is a web of reference cycles (centres, their loop, bound-method
    timers, generators), so its memory outlives its summary until a full collection, which
    numpy's allocations never trigger. A worker or ``-j 1`` run grows by ~80 MB per baseline
    week (spawned worker, 8 replications: 239 → 815 MB; with ``gc.collect()`` after each:
    flat at ~260 MB); ``-j 1 -r 20`` peaks at 2.1 GB. Fix: ``gc.collect()`` after each
    replication in ``run_one`` (the worker's entry point), or break the cycles on finish."""
    import gc
    import tracemalloc

    from sim.domain.streams import replication_seeds
    from sim.experiments.replications import run_one
    from sim.scenario import load_scenario

    scenario = load_scenario("scenarios/gansu-baseline.yaml", ["horizon_hours=48"])
    seq = replication_seeds(scenario.seed, 1)[0]
    run_one(scenario, seq, 0)  # imports and caches
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()  # (as between the rare full collections)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run_one(scenario, seq, 0)  # its summary dropped at once
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        gc.collect()
        if enabled:
            gc.enable()
    assert held < 1 << 20, f"{held / 2 ** 20:.1f} MB kept alive only by reference cycles"
