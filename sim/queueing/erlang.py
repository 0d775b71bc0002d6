"""Analytic queueing formulas: Erlang B (M/M/n/n), Erlang C (M/M/n) and Erlang A (M/M/n+M).

Rates and times may be in any one unit (calls per minute with minutes, per second with
seconds, ...). ``rate`` is the arrival rate, ``mean_talk`` the mean service time and
``mean_patience`` the mean of the exponential patience; ``offered`` = rate * mean_talk (erlangs).
Everything is exact up to rounding and stable for thousands of servers: Erlang B by its
recursion, Erlang A by summing its birth-death chain in log space (see ``docs/erlang.md``).
The inverse searches (the fewest seats for a target) are in ``sim.queueing.inverse``; their
names are still importable from here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sim.domain.errors import InputError

SlDefinition = Literal["offered", "excl_short_abandons"]
_DEFINITIONS = ("offered", "excl_short_abandons")
_TAIL_MARGIN = 46.0  # e^-46 ~ 1e-20: chain terms this far below the sums are dropped


def _servers(value: int, least: int) -> int:
    if isinstance(value, bool):
        raise InputError("expected an integer number of servers", key="servers")
    try:
        n = operator.index(value)
    except TypeError:
        raise InputError(f"expected an integer, got {value!r}", key="servers") from None
    if n < least:
        raise InputError(f"must be at least {least}, got {n}", key="servers")
    return n


def _number(value: float, key: str, *, positive: bool = False, infinite: bool = False) -> float:
    v = float(value)
    bad = math.isnan(v) or v < 0 or (positive and v == 0) or (math.isinf(v) and not infinite)
    if bad:
        kind = "positive" if positive else "non-negative"
        raise InputError(f"must be a {kind}{'' if infinite else ' finite'} number, got {value!r}", key=key)
    return v


def _fraction(value: float, key: str) -> float:
    v = float(value)
    if not 0.0 < v < 1.0:
        raise InputError(f"must lie strictly between 0 and 1, got {value!r}", key=key)
    return v


def erlang_b(servers: int, offered: float) -> float:
    """Blocking probability of the M/M/n/n loss system (Erlang B) with ``offered`` erlangs.

    Uses the recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1, which never overflows.
    """
    n = _servers(servers, 0)
    a = _number(offered, "offered")
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


@dataclass(frozen=True)
class ErlangC:
    """Steady state of the M/M/n queue with infinite patience (Erlang C); build with ``erlang_c``.

    ``p_wait`` is P(wait > 0), ``mean_wait`` the mean wait over all arrivals, ``mean_queue`` the
    mean number waiting, ``occupancy`` the busy fraction of servers. When offered >= servers the
    queue is unstable: p_wait = 1, mean_wait = mean_queue = inf, occupancy = 1.
    """

    servers: int
    rate: float
    mean_talk: float
    offered: float
    p_wait: float
    mean_wait: float
    occupancy: float
    mean_queue: float

    @property
    def stable(self) -> bool:
        """Whether offered < servers, so that the queue has a steady state."""
        return self.offered < self.servers

    def service_level(self, t: float) -> float:
        """P(wait <= t) over all arrivals: 1 - p_wait * exp(-(n/mean_talk - rate) t); 0 if unstable."""
        t = _number(t, "t", infinite=True)
        if not self.stable:
            return 0.0
        return 1.0 - self.p_wait * math.exp(-(self.servers / self.mean_talk - self.rate) * t)


def erlang_c(servers: int, rate: float, mean_talk: float) -> ErlangC:
    """Erlang C (M/M/n) with arrival ``rate`` and exponential service of mean ``mean_talk``."""
    n = _servers(servers, 1)
    lam = _number(rate, "rate")
    talk = _number(mean_talk, "mean_talk", positive=True)
    return _erlang_c(n, lam, talk, erlang_b(n, lam * talk))


def _erlang_c(n: int, lam: float, talk: float, b: float) -> ErlangC:
    a = lam * talk
    if a >= n:
        return ErlangC(n, lam, talk, a, 1.0, math.inf, 1.0, math.inf)
    p_wait = b / (1.0 - (a / n) * (1.0 - b))
    mean_wait = p_wait * talk / (n - a)
    return ErlangC(n, lam, talk, a, p_wait, mean_wait, a / n, lam * mean_wait)


def _chain_start(x: float, z: float) -> tuple[int, float]:
    """First k that matters in the chain of ``_chain`` and log T_k there.

    Far below the mode (k ~ z - x, spread ~ sqrt(z)) the terms are negligible and skipped.
    """
    skip = math.ceil(z - x) - int(14 * math.sqrt(z)) - 50
    return (skip, _log_rising_ratio(z, x, skip)) if skip > 10_000 else (0, 0.0)


def _chain(x: float, z: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield chunks (k, log T_k - log T_k0) of T_k = prod_{j=1..k} z / (x + j) from
    k0 = _chain_start(x, z)[0] on, until the rest is below e^-_TAIL_MARGIN of the largest term
    times every weight ratio used. Logs stay relative to k0 so they keep their precision."""
    if z == 0.0:
        yield np.zeros(1), np.zeros(1)
        return
    start, log_start = _chain_start(x, z)[0], 0.0
    best, size = -math.inf, 1024
    while True:
        k = np.arange(start, start + size, dtype=float)
        with np.errstate(divide="ignore"):  # z / (x + k) may underflow to 0: a zero term
            steps = np.log(z / (x + k[1:]))
        log_t = np.concatenate(([log_start], log_start + np.cumsum(steps)))
        yield k, log_t
        best = max(best, float(log_t.max()))
        end = start + size
        ratio = z / (x + end)
        if ratio == 0.0:  # z underflowed against x: the rest is zero
            return
        log_start = float(log_t[-1]) + math.log(ratio)
        tail = log_start - math.log1p(-ratio) if ratio < 1 else math.inf
        if tail < best - _TAIL_MARGIN - 2 * math.log(x + end + 2):
            return
        start, size = end, min(2 * size, 1 << 16)


def _stirling_rest(z: float) -> float:
    """lgamma(z) - ((z - 1/2) log z - z + log(2 pi) / 2), accurate also for huge z."""
    if z < 10.0:
        return math.lgamma(z) - ((z - 0.5) * math.log(z) - z + 0.5 * math.log(2 * math.pi))
    w = 1.0 / (z * z)
    return (1 / 12 - w * (1 / 360 - w * (1 / 1260 - w / 1680))) / z


def _log_rising_ratio(z: float, x: float, m: int) -> float:
    """Sum of log(z / (x + j)) for j = 1..m without the cancellation of lgamma differences."""
    a, b = x + 1.0, x + m + 1.0
    return (m * (math.log(z / b) + 1.0) - (a - 0.5) * math.log1p(m / a)
            - _stirling_rest(b) + _stirling_rest(a))


def _harmonic(x: float, m: int) -> float:
    """Sum of 1 / (x + i) for i = 1..m, as digamma(x + m + 1) - digamma(x + 1), for large m."""
    lo, hi, total = x + 1.0, x + m + 1.0, 0.0
    while lo < 10.0:  # digamma(lo) = digamma(lo + 1) - 1 / lo
        total, lo = total + 1.0 / lo, lo + 1.0
    def rest(z: float) -> float:  # digamma(z) - log(z), asymptotic series, z >= 10
        w = 1.0 / (z * z)
        return -0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w / 240)))
    return total + math.log1p((hi - lo) / lo) + rest(hi) - rest(lo)


def _logsumexp(v: np.ndarray) -> float:
    m = float(v.max())
    return m if m == -math.inf else m + math.log(float(np.exp(v - m).sum()))


@dataclass(frozen=True)
class ErlangA:
    """Steady state of the M/M/n+M queue (Palm / Erlang A): exponential patience, FCFS;
    build it with ``erlang_a``.

    ``p_wait`` is P(wait > 0), ``p_abandon`` P(abandon), ``mean_wait`` the mean time in queue
    over all arrivals (abandoning ones up to their abandonment), ``mean_wait_served`` the mean
    wait of served calls, ``occupancy`` the busy fraction of servers, ``mean_queue`` the mean
    number waiting. With finite patience the queue is stable at any load.
    """

    servers: int
    rate: float
    mean_talk: float
    mean_patience: float
    offered: float
    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_wait_served: float
    occupancy: float
    mean_queue: float
    # Set by erlang_a for the waiting-time law: log A (docs/erlang.md) as the chain's offset
    # plus the rest, P(no wait) and P(served after waiting), kept apart to avoid roundoff.
    _log_a: tuple[float, float] = field(default=(0.0, 0.0), repr=False, compare=False)
    _p_no_wait: float = field(default=1.0, repr=False, compare=False)
    _p_served_waiting: float = field(default=0.0, repr=False, compare=False)

    def _tails(self, t: float) -> tuple[float, float, float]:
        """(P(served, wait > t), P(abandons, wait > t), P(still waiting at t)) over all arrivals."""
        if math.isinf(self.mean_patience):  # Erlang C: exponential tail of rate n mu - lambda
            c = erlang_c(self.servers, self.rate, self.mean_talk)
            tail = c.p_wait * math.exp(-(self.servers / self.mean_talk - self.rate) * t)
            tail = tail if c.stable else 1.0
            return tail, 0.0, tail
        theta, n_mu = 1.0 / self.mean_patience, self.servers / self.mean_talk
        x, y, q = n_mu / theta, self.rate / theta, math.exp(-theta * t)
        acc = np.full(3, -math.inf)
        for k, log_t in _chain(x, y * q):
            log_served = np.log(x / (x + k + 1))
            log_ab = np.log((k + 1) / (x + k + 1))
            parts = [_logsumexp(log_t + log_served), _logsumexp(log_t + log_ab), _logsumexp(log_t)]
            acc = np.logaddexp(acc, parts)
        offset = _chain_start(x, y * q)[1] if q > 0 else 0.0
        log_pref = (offset - self._log_a[0]) - self._log_a[1]
        log_pref += -(n_mu + theta) * t - y * math.expm1(-theta * t)
        served, ab, waiting = (float(v) for v in self.p_wait * np.exp(log_pref + acc))
        # clip the roundoff of huge queues (docs/erlang.md, accuracy) to the true bounds
        return min(served, self._p_served_waiting), min(ab, self.p_abandon), min(waiting, self.p_wait)

    def _within(self, t: float) -> tuple[float, float, float]:
        """(answered within t, abandoned within t, still waiting at t) over all arrivals."""
        t = _number(t, "t", infinite=True)
        if t == 0.0:  # exact: nobody has waited yet (the tail sums leave ~1e-20 of roundoff)
            return min(1.0, self._p_no_wait), 0.0, self.p_wait
        served_later, abandon_later, waiting = self._tails(t)
        answered = self._p_no_wait + max(0.0, self._p_served_waiting - served_later)
        return min(1.0, answered), max(0.0, self.p_abandon - abandon_later), waiting

    def p_answered_within(self, t: float) -> float:
        """P(served and wait <= t) over all arrivals."""
        return self._within(t)[0]

    def p_abandoned_within(self, t: float) -> float:
        """P(abandons after waiting <= t) over all arrivals."""
        return self._within(t)[1]

    def p_waiting_beyond(self, t: float) -> float:
        """P(still in queue at t after arrival): neither served nor abandoned by then."""
        return self._within(t)[2]

    def service_level(self, t: float, definition: SlDefinition = "offered") -> float:
        """Answered within ``t`` divided by all arrivals (``"offered"``) or by arrivals minus
        those that abandoned within ``t`` (``"excl_short_abandons"``)."""
        if definition not in _DEFINITIONS:
            raise InputError(f"expected one of {_DEFINITIONS}, got {definition!r}", key="definition")
        answered, abandoned, _ = self._within(t)
        if definition == "offered":
            return answered
        return min(1.0, answered / (1.0 - abandoned)) if abandoned < 1 else 0.0


def erlang_a(servers: int, rate: float, mean_talk: float, mean_patience: float) -> ErlangA:
    """Erlang A (M/M/n+M): ``servers`` agents, Poisson arrivals at ``rate``, exponential talk of
    mean ``mean_talk`` and exponential patience of mean ``mean_patience`` (inf gives Erlang C)."""
    n = _servers(servers, 1)
    lam = _number(rate, "rate")
    talk = _number(mean_talk, "mean_talk", positive=True)
    patience = _number(mean_patience, "mean_patience", positive=True, infinite=True)
    return _erlang_a(n, lam, talk, patience, erlang_b(n, lam * talk))


def _erlang_a(n: int, lam: float, talk: float, patience: float, b: float) -> ErlangA:
    a = lam * talk
    if math.isinf(patience) or lam == 0.0:
        c = _erlang_c(n, lam, talk, b)
        return ErlangA(n, lam, talk, patience, a, c.p_wait, 0.0, c.mean_wait, c.mean_wait,
                       c.occupancy, c.mean_queue, (0.0, 0.0), 1.0 - c.p_wait, c.p_wait)
    offset, log_a, log_s, log_g, log_h = _waiting_sums(n / talk, lam, 1.0 / patience)
    # P(n in system) = B / (1 - B + A B), so P(wait) / P(no wait) = A B / (1 - B) = e^r
    if b == 0.0:  # underflow: P(wait) < 1e-308
        r = -math.inf
    else:
        r = offset + log_a + math.log(b) - (math.log1p(-b) if b < 1 else -math.inf)
    e = math.exp(-abs(r))
    p_wait, p_no_wait = (1 / (1 + e), e / (1 + e)) if r > 0 else (e / (1 + e), 1 / (1 + e))
    p_abandon = p_wait * math.exp(log_g - log_a)
    p_served_waiting = p_wait * math.exp(log_s - log_a)
    p_served = p_no_wait + p_served_waiting
    wait_served = p_wait * math.exp(log_h - log_a) / p_served if p_served > 0 else math.inf
    mean_wait = p_abandon * patience  # P(abandon) = theta E[wait] (abandon hazard is theta)
    return ErlangA(n, lam, talk, patience, a, p_wait, p_abandon, mean_wait, wait_served,
                   min(1.0, a * p_served / n), lam * mean_wait, (offset, log_a), p_no_wait,
                   p_served_waiting)


def _waiting_sums(n_mu: float, lam: float, theta: float) -> tuple[float, ...]:
    """The chain's offset, then the logs of A, S, G, H less that offset: sums over k = callers
    ahead of P(k) / P(n in system) weighted by 1, P(served | k), P(abandon | k) and
    P(served | k) E[wait | served, k] (docs/erlang.md)."""
    x, y = n_mu / theta, lam / theta
    acc, carry = np.full(4, -math.inf), 0.0
    for k, log_t in _chain(x, y):
        if carry == 0.0 and k[0] > 0:  # the chain skipped a negligible head
            carry = _harmonic(x, int(k[0])) / theta
        harmonic = carry + np.cumsum(1.0 / (n_mu + (k + 1) * theta))
        carry = float(harmonic[-1])
        log_served = np.log(x / (x + k + 1))
        parts = [log_t, log_t + log_served, log_t + np.log((k + 1) / (x + k + 1)),
                 log_t + log_served + np.log(harmonic)]
        acc = np.logaddexp(acc, [_logsumexp(p) for p in parts])
    return (_chain_start(x, y)[1], *(float(v) for v in acc))
