"""Tests of sim.queueing.erlang against exact values computed independently of the module.

Independent routes used here: the shared reference file (two methods each), exact rational
arithmetic (fractions.Fraction) for Erlang B and C, a published Erlang B table, the Poisson law
of M/M/n+M when patience and talk have the same mean, a brute-force birth-death chain with
the tagged caller's own small Markov chain solved by scipy.linalg.expm, and numerical integrals.
"""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.domain.errors import InputError
from sim.queueing.erlang import (
    ErlangA,
    ErlangC,
    erlang_a,
    erlang_b,
    erlang_c,
)
from sim.queueing.inverse import servers_for_blocking, servers_for_service_level

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "erlang.json"
EXACT = 1e-9  # relative tolerance against exact values
FAST = settings(max_examples=25, deadline=None)


def _reference(section: str) -> list:
    """The cases of one section, or a single skipped parameter when the file is absent."""
    if not REFERENCE.exists():
        reason = f"shared reference values not found at {REFERENCE}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    cases = json.loads(REFERENCE.read_text(encoding="utf-8"))[section]
    return [pytest.param(case, id=f"{section}-{i}") for i, case in enumerate(cases)]


@pytest.mark.parametrize("case", _reference("erlang_b"))
def test_erlang_b_reference(case: dict) -> None:
    got = erlang_b(case["servers"], case["offered_erlangs"])
    assert got == pytest.approx(case["P_block"], rel=EXACT)


@pytest.mark.parametrize("case", _reference("erlang_c"))
def test_erlang_c_reference(case: dict) -> None:
    c = erlang_c(case["servers"], case["rate_per_min"], case["mean_talk_min"])
    assert c.p_wait == pytest.approx(case["P_wait"], rel=EXACT)
    assert c.mean_wait == pytest.approx(case["mean_wait_min"], rel=EXACT)
    assert c.service_level(20 / 60) == pytest.approx(case["service_level_20s"], rel=EXACT)


@pytest.mark.parametrize("case", _reference("erlang_a"))
def test_erlang_a_reference(case: dict) -> None:
    args = (case["servers"], case["rate_per_min"], case["mean_talk_min"])
    a = erlang_a(*args, case["mean_patience_min"])
    assert a.p_wait == pytest.approx(case["P_wait"], rel=EXACT)
    assert a.p_abandon == pytest.approx(case["P_abandon"], rel=EXACT)
    assert a.mean_wait == pytest.approx(case["mean_wait_min"], rel=EXACT)


# --- exact rational formulas and published values ---


def _b_exact(n: int, a: Fraction) -> Fraction:
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def _c_exact(n: int, a: Fraction) -> Fraction:
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@FAST
@given(st.floats(0, 1e6))
def test_erlang_b_one_server(a: float) -> None:
    assert erlang_b(1, a) == pytest.approx(a / (1 + a), rel=1e-14)


def test_erlang_b_edges() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0


@FAST
@given(st.integers(1, 40), st.fractions(Fraction(1, 100), 60, max_denominator=1000))
def test_erlang_b_matches_exact_fractions(n: int, a: Fraction) -> None:
    assert erlang_b(n, float(a)) == pytest.approx(float(_b_exact(n, a)), rel=1e-12)


@FAST
@given(
    st.integers(1, 30),
    st.fractions(Fraction(1, 100), 30, max_denominator=100),
    st.fractions(Fraction(1, 10), 5, max_denominator=100),
)
def test_erlang_c_matches_exact_fractions(n: int, rate: Fraction, talk: Fraction) -> None:
    a = rate * talk
    c = erlang_c(n, float(rate), float(talk))
    if a >= n:
        assert (c.p_wait, c.mean_wait, c.occupancy) == (1.0, math.inf, 1.0)
        assert not c.stable and c.service_level(10.0) == 0.0
        return
    p_wait = _c_exact(n, a)
    mean_wait = p_wait * talk / (n - a)
    assert c.p_wait == pytest.approx(float(p_wait), rel=1e-12)
    assert c.mean_wait == pytest.approx(float(mean_wait), rel=1e-12)
    assert c.mean_queue == pytest.approx(float(rate * mean_wait), rel=1e-12)
    assert c.occupancy == pytest.approx(float(a / n), rel=1e-12)
    t = 0.7
    sl = 1 - float(p_wait) * math.exp(-float(n / talk - rate) * t)
    assert c.service_level(t) == pytest.approx(sl, rel=1e-12)


# Standard Erlang B table: offered erlangs at which n trunks block a fraction p of calls
# (printed to the digits shown, so the exact root must round to them).
ERLANG_B_TABLE = [
    (1, 0.01, "0.0101"), (2, 0.01, "0.153"), (5, 0.01, "1.36"), (10, 0.01, "4.46"),
    (10, 0.02, "5.08"), (10, 0.05, "6.22"), (20, 0.01, "12.0"), (20, 0.02, "13.2"),
    (50, 0.01, "37.9"), (100, 0.01, "84.1"),
]


@pytest.mark.parametrize(("n", "p", "table"), ERLANG_B_TABLE)
def test_erlang_b_published_table(n: int, p: float, table: str) -> None:
    half_digit = 0.5 * 10.0 ** -len(table.split(".")[1])
    assert erlang_b(n, float(table) - half_digit) < p < erlang_b(n, float(table) + half_digit)


def test_erlang_a_with_patience_equal_to_talk_is_poisson() -> None:
    # theta = mu makes the number in system Poisson(a), whatever n (an M/M/infinity chain).
    n, a = 7, 6.3
    pmf = [math.exp(-a) * a**k / math.factorial(k) for k in range(n)]
    p_wait = 1 - math.fsum(pmf)
    mean_excess = a - n + math.fsum((n - k) * p for k, p in enumerate(pmf))  # E[(N - n)+]
    res = erlang_a(n, rate=a / 2.0, mean_talk=2.0, mean_patience=2.0)
    assert res.p_wait == pytest.approx(p_wait, rel=1e-12)
    assert res.p_abandon == pytest.approx(mean_excess / a, rel=1e-12)  # theta E[Q] / lambda
    assert res.mean_queue == pytest.approx(mean_excess, rel=1e-12)


# --- Erlang A against a brute-force chain and the tagged caller's Markov chain ---


def _brute_force(n: int, lam: float, talk: float, patience: float, times: list[float]) -> dict:
    """P(wait), P(abandon), E[wait | served] and, per t, (answered, abandoned, waiting)."""
    from scipy.linalg import expm, solve

    mu, theta = 1 / talk, 1 / patience
    big = 150  # queue lengths considered; the cases keep the chain far below this
    death = np.array([min(j, n) * mu + max(j - n, 0) * theta for j in range(1, n + big + 1)])
    log_p = np.concatenate(([0.0], np.cumsum(np.log(lam / death))))
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    assert p[-1] < 1e-30
    ahead = p[n:]  # an arrival finds k = 0, 1, ... callers ahead in queue (PASTA)
    out = {"p_wait": ahead.sum(), "p_abandon": theta * float(np.dot(np.arange(big + 1), ahead)) / lam}
    # the tagged caller only moves down from the k found; beyond m the start mass is < 1e-25
    m = int(np.nonzero(ahead > 1e-25)[0][-1]) + 1
    gen = np.zeros((m + 2, m + 2))  # states "j ahead" 0..m-1, then served, abandoned
    for j in range(m):
        gen[j, j - 1 if j else m] = n * mu + j * theta
        gen[j, m + 1] = theta
        gen[j, j] = -(n * mu + (j + 1) * theta)
    start = np.concatenate((ahead[:m], [p[:n].sum(), 0.0]))
    served_from = solve(-gen[:m, :m], gen[:m, m])  # P(eventually served | j ahead)
    time_in = solve(-gen[:m, :m].T, ahead[:m])  # expected time spent in each transient state
    out["mean_wait_served"] = float(time_in @ served_from) / (1 - theta * time_in.sum())
    for t in times:
        state = start @ expm(gen * t)
        out[t] = (state[m], state[m + 1], state[:m].sum())
    return out


ERLANG_A_CASES = [  # (servers, rate, mean_talk, mean_patience): under-, critically, over-loaded
    (1, 0.8, 1.0, 3.0),
    (3, 2.0, 1.0, 0.5),
    (10, 9.0, 1.0, 1.0),
    (10, 14.0, 1.0, 2.0),
    (20, 2.0, 8.0, 20.0),
    (40, 35.0, 1.0, 0.25),
]


@pytest.mark.parametrize("case", ERLANG_A_CASES)
def test_erlang_a_matches_brute_force(case: tuple) -> None:
    times = [0.0, 0.05, 1 / 3, 2.0]
    ref = _brute_force(*case, times)
    res = erlang_a(*case)
    assert res.p_wait == pytest.approx(ref["p_wait"], rel=1e-9)
    assert res.p_abandon == pytest.approx(ref["p_abandon"], rel=1e-9)
    assert res.mean_wait_served == pytest.approx(ref["mean_wait_served"], rel=1e-8)
    for t in times:
        answered, abandoned, waiting = ref[t]
        assert res.p_answered_within(t) == pytest.approx(answered, rel=1e-8, abs=1e-13)
        assert res.p_abandoned_within(t) == pytest.approx(abandoned, rel=1e-8, abs=1e-13)
        assert res.p_waiting_beyond(t) == pytest.approx(waiting, rel=1e-8, abs=1e-13)
        excl = answered / (1 - abandoned)
        assert res.service_level(t, "excl_short_abandons") == pytest.approx(excl, rel=1e-8)


def test_erlang_a_matches_garnett_mandelbaum_reiman() -> None:
    # The closed form with incomplete gamma functions, evaluated by scipy at moderate sizes.
    from scipy.special import gammainc, gammaln

    for n, lam, talk, patience in [(50, 45.0, 1.0, 2.0), (100, 110.0, 1.0, 1.5), (8, 5.0, 2.0, 0.7)]:
        mu, theta = 1 / talk, 1 / patience
        x, y, rho = n * mu / theta, lam / theta, lam / (n * mu)
        big_a = x * math.exp(y - x * math.log(y) + gammaln(x)) * gammainc(x, y)
        e = float(_b_exact(n, Fraction(lam) * Fraction(talk)))
        p_wait = big_a * e / (1 + (big_a - 1) * e)
        p_ab_given_wait = 1 / (rho * big_a) + 1 - 1 / rho
        res = erlang_a(n, lam, talk, patience)
        assert res.p_wait == pytest.approx(p_wait, rel=1e-9)
        assert res.p_abandon == pytest.approx(p_ab_given_wait * p_wait, rel=1e-8)


# --- Erlang A properties ---

loads = st.tuples(
    st.integers(1, 60),  # servers
    st.floats(0.1, 1.6),  # offered / servers
    st.floats(0.2, 5.0),  # mean talk
    st.floats(0.05, 20.0),  # mean patience / mean talk
)


def _a(n: int, load: float, talk: float, patience_ratio: float) -> ErlangA:
    return erlang_a(n, load * n / talk, talk, patience_ratio * talk)


def _birth_death(n: int, rate: float, talk: float, patience: float) -> dict[str, float]:
    """M/M/n+M from its birth-death chain, truncated where the tail is negligible: an
    independent computation (no formula of sim.queueing.erlang is used)."""
    mu, theta = 1 / talk, 1 / patience
    weights = [1.0]
    k = 0
    while True:
        k += 1
        weights.append(weights[-1] * rate / (min(k, n) * mu + max(k - n, 0) * theta))
        if k > n and weights[-1] < 1e-18 * sum(weights):
            break
    pi = np.array(weights) / sum(weights)
    queue = sum(max(j - n, 0) * p for j, p in enumerate(pi))
    return {"p_wait": float(pi[n:].sum()), "mean_wait": queue / rate,
            "p_abandon": theta * queue / rate, "busy": sum(min(j, n) * p for j, p in enumerate(pi))}


@settings(max_examples=15, deadline=None)  # each example integrates numerically
@given(loads)
def test_erlang_a_against_its_birth_death_chain_and_waiting_time_law(args: tuple) -> None:
    from scipy.integrate import quad

    res = _a(*args)
    chain = _birth_death(res.servers, res.rate, res.mean_talk, res.mean_patience)
    # stationary chain (PASTA: arrivals see time averages) vs the closed form
    assert res.p_wait == pytest.approx(chain["p_wait"], rel=1e-8, abs=1e-14)
    assert res.p_abandon == pytest.approx(chain["p_abandon"], rel=1e-8, abs=1e-14)
    assert res.mean_wait == pytest.approx(chain["mean_wait"], rel=1e-8, abs=1e-14)
    assert res.occupancy == pytest.approx(chain["busy"] / res.servers, rel=1e-8, abs=1e-14)
    theta = 1 / res.mean_patience
    # P(abandon) = theta E[wait], with E[wait] integrated from the waiting-time law itself
    mean_wait = quad(res.p_waiting_beyond, 0, np.inf, epsabs=1e-13, epsrel=1e-10)[0]
    assert res.p_abandon == pytest.approx(theta * mean_wait, rel=1e-6, abs=1e-12)
    t = 0.4 * res.mean_talk
    waited = quad(res.p_waiting_beyond, 0, t, epsabs=1e-14, epsrel=1e-11)[0]
    assert res.p_abandoned_within(t) == pytest.approx(theta * waited, rel=1e-7, abs=1e-13)
    assert res.p_answered_within(0) == pytest.approx(1 - res.p_wait, rel=1e-12, abs=1e-15)
    assert res.p_abandoned_within(0) == pytest.approx(0.0, abs=1e-15)
    assert res.p_answered_within(math.inf) == pytest.approx(1 - res.p_abandon, rel=1e-9)
    assert res.service_level(t, "excl_short_abandons") >= res.service_level(t)


@FAST
@given(loads)
def test_erlang_a_monotone(args: tuple) -> None:
    n, load, talk, ratio = args
    res, more = _a(n, load, talk, ratio), erlang_a(n + 1, load * n / talk, talk, ratio * talk)
    busier = erlang_a(n, load * n / talk * 1.1, talk, ratio * talk)
    ulp = 1e-15  # roundoff allowance near 0 and 1
    assert more.p_wait <= res.p_wait + ulp and res.p_wait <= busier.p_wait + ulp
    assert more.p_abandon <= res.p_abandon * (1 + ulp) <= busier.p_abandon * (1 + 2 * ulp)
    # service levels are differences of probabilities: absolute accuracy about 1e-13
    ts, tol = [0.0, 0.1 * talk, talk, 10 * talk], 1e-12
    sls = [res.service_level(t) for t in ts]
    assert all(early <= late + tol for early, late in zip(sls, sls[1:], strict=False))
    for t in ts:
        assert more.service_level(t) >= res.service_level(t) - tol
        assert busier.service_level(t) <= res.service_level(t) + tol


def test_erlang_a_infinite_patience_is_erlang_c() -> None:
    for n, rate in [(12, 10.0), (3, 3.5)]:
        a, c = erlang_a(n, rate, 1.0, math.inf), erlang_c(n, rate, 1.0)
        assert (a.p_wait, a.mean_wait, a.occupancy, a.p_abandon) == (
            c.p_wait, c.mean_wait, c.occupancy, 0.0)
        for t in (0.0, 0.2, 3.0):
            assert a.service_level(t) == pytest.approx(c.service_level(t), abs=1e-15)
            assert a.p_abandoned_within(t) == 0.0


@FAST
@given(st.integers(1, 200), st.floats(0.05, 0.95), st.floats(0.2, 5.0))
def test_erlang_a_tends_to_erlang_c(n: int, load: float, talk: float) -> None:
    rate = load * n / talk
    c = erlang_c(n, rate, talk)
    a = erlang_a(n, rate, talk, 1e9 * talk)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-6, abs=1e-300)
    assert a.mean_wait_served == pytest.approx(c.mean_wait, rel=1e-6, abs=1e-300)
    assert a.mean_wait == pytest.approx(c.mean_wait, rel=1e-6, abs=1e-300)
    for t in (0.0, 0.3 * talk, 3 * talk):
        assert a.service_level(t) == pytest.approx(c.service_level(t), rel=1e-6)


# --- properties of B and C, and large systems ---


@FAST
@given(st.integers(0, 300), st.floats(0.0, 400.0), st.floats(0.0, 5.0))
def test_erlang_b_monotone(n: int, a: float, more: float) -> None:
    b = erlang_b(n, a)
    assert 0.0 <= b <= 1.0
    assert erlang_b(n + 1, a) <= b <= erlang_b(n, a + more)


@FAST
@given(st.integers(1, 300), st.floats(0.0, 1.2), st.floats(0.0, 0.3))
def test_erlang_c_monotone(n: int, load: float, more: float) -> None:
    c = erlang_c(n, load * n, 1.0)
    assert erlang_c(n + 1, load * n, 1.0).p_wait <= c.p_wait <= erlang_c(n, (load + more) * n, 1.0).p_wait
    assert c.p_wait >= erlang_b(n, c.offered)


@pytest.mark.parametrize("offered", [1990.0, 1999.0, 1999.99, 2000.0, 2100.0, 3000.0])
def test_large_systems_stay_finite(offered: float) -> None:
    n = 2000
    assert 0.0 < erlang_b(n, offered) < 1.0
    c = erlang_c(n, offered / 2.0, 2.0)
    assert 0.0 < c.p_wait <= 1.0 and 0.0 <= c.service_level(0.3) < 1.0
    for patience in (0.1, 2.0, 60.0):
        a = erlang_a(n, offered / 2.0, 2.0, patience)
        values = [a.p_wait, a.p_abandon, a.mean_wait, a.mean_wait_served, a.occupancy,
                  a.service_level(1 / 3), a.service_level(1 / 3, "excl_short_abandons")]
        assert all(math.isfinite(v) and v >= 0 for v in values)
        assert a.p_abandon <= a.p_wait <= 1.0 and a.occupancy <= 1.0
    # the rate-conservation identity holds exactly in an overloaded system
    over = erlang_a(n, 2200.0, 1.0, 1.0)
    assert over.p_abandon >= 200.0 / 2200.0 - 1e-12


def test_heavily_overloaded_long_patience_is_consistent() -> None:
    # About 2e7 callers queue; served callers wait roughly queue / drain rate.
    a = erlang_a(2000, 2200.0, 1.0, 1e5)
    assert a.p_abandon == pytest.approx(200.0 / 2200.0, rel=1e-9)
    assert 9000 < a.mean_wait_served < 10000
    assert a.service_level(1 / 3) < 1e-6  # nobody is answered fast; roundoff only


# --- staffing inverses ---


@FAST
@given(st.floats(0.01, 500.0), st.floats(0.001, 0.5))
def test_servers_for_blocking_is_smallest(offered: float, p: float) -> None:
    n = servers_for_blocking(offered, p)
    assert erlang_b(n, offered) <= p < erlang_b(n - 1, offered)


@FAST
@given(
    st.floats(0.05, 200.0),  # rate
    st.floats(0.1, 5.0),  # mean talk
    st.floats(0.0, 2.0),  # t / mean talk
    st.floats(0.05, 0.99),  # target
    st.one_of(st.none(), st.floats(0.05, 10.0)),  # mean patience / mean talk
    st.sampled_from(["offered", "excl_short_abandons"]),
)
def test_servers_for_service_level_is_smallest(rate, talk, t_ratio, target, ratio, definition) -> None:
    t = t_ratio * talk
    patience = None if ratio is None else ratio * talk
    n = servers_for_service_level(rate, talk, t, target, patience, definition)

    def level(m: int) -> float:
        if patience is None:
            return erlang_c(m, rate, talk).service_level(t)
        return erlang_a(m, rate, talk, patience).service_level(t, definition)

    assert level(n) >= target
    assert n == 1 or level(n - 1) < target


def test_staffing_large_and_fast() -> None:
    start = time.perf_counter()
    n_c = servers_for_service_level(1900.0, 1.0, 1 / 3, 0.9)
    n_a = servers_for_service_level(1900.0, 1.0, 1 / 3, 0.9, mean_patience=2.0)
    n_b = servers_for_blocking(1900.0, 0.01)
    assert time.perf_counter() - start < 2.0
    assert erlang_c(n_c, 1900.0, 1.0).service_level(1 / 3) >= 0.9 > erlang_c(
        n_c - 1, 1900.0, 1.0).service_level(1 / 3)
    assert n_a <= n_c and n_b > 1900


def test_nothing_offered_needs_no_servers() -> None:
    assert servers_for_blocking(0.0, 0.01) == 0
    assert servers_for_service_level(0.0, 3.0, 0.25, 0.8, mean_patience=1.0) == 0
    idle = erlang_a(3, 0.0, 1.0, 1.0)
    assert (idle.p_wait, idle.p_abandon, idle.service_level(0.0)) == (0.0, 0.0, 1.0)


# --- bad input ---


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_b(-1, 1.0),
        lambda: erlang_b(2.5, 1.0),
        lambda: erlang_b(True, 1.0),
        lambda: erlang_b(3, -1.0),
        lambda: erlang_b(3, math.nan),
        lambda: erlang_c(0, 1.0, 1.0),
        lambda: erlang_c(3, 1.0, 0.0),
        lambda: erlang_c(3, math.inf, 1.0),
        lambda: erlang_a(3, 1.0, 1.0, 0.0),
        lambda: erlang_a(3, 1.0, 1.0, 1.0).service_level(1.0, "answered"),
        lambda: erlang_a(3, 1.0, 1.0, 1.0).p_answered_within(-1.0),
        lambda: servers_for_blocking(3.0, 1.0),
        lambda: servers_for_service_level(3.0, 1.0, 0.3, 0.0),
        lambda: servers_for_service_level(3.0, 1.0, 0.3, 0.8, definition="nope"),
    ],
)
def test_bad_input_raises_input_error(call) -> None:
    with pytest.raises(InputError):
        call()


def test_results_are_frozen() -> None:
    c, a = erlang_c(3, 1.0, 1.0), erlang_a(3, 1.0, 1.0, 1.0)
    assert isinstance(c, ErlangC) and isinstance(a, ErlangA)
    with pytest.raises(AttributeError):
        c.p_wait = 0.5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        a.p_wait = 0.5  # type: ignore[misc]
