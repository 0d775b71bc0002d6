"""Distributions for talk, wrap-up, patience and redial delays.

Each distribution is a small validated object that knows its mean (so a scenario can compare
offered load with seats before running), draws variates in numpy blocks, and maps a uniform
draw to a variate (``quantile``, for draws keyed to one caller). Times are seconds.
Scenario files write them as mappings tagged by ``dist``::

    talk: {dist: lognormal, mean: 150, cv: 0.8}
    wrapup: {dist: deterministic, value: 30}
    patience: {dist: exponential, mean: 90}
    patience: {dist: none}                     # never abandons
    talk: {dist: empirical, values: [60, 120, 300], weights: [0.5, 0.3, 0.2]}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from itertools import chain
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

_STANDARD_NORMAL = NormalDist()
BLOCK = 4096
"""How many variates one numpy call draws for a per-call sampler."""


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        """Draw ``size`` variates."""
        raise NotImplementedError

    def quantile(self, u: float) -> float:  # pragma: no cover
        """The variate at probability ``u`` in [0, 1) (the inverse distribution function)."""
        raise NotImplementedError


class _ByMean(_Dist):
    """A family given by its mean (written ``mean`` in a scenario)."""

    mean_: PositiveFloat = Field(alias="mean")

    @property
    def mean(self) -> float:
        return self.mean_


class Exponential(_ByMean):
    """Exponential with the given mean (seconds)."""

    dist: Literal["exponential"] = "exponential"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def quantile(self, u: float) -> float:
        return -self.mean_ * math.log1p(-u)



class Lognormal(_ByMean):
    """Lognormal given by its mean and coefficient of variation (sd / mean)."""

    dist: Literal["lognormal"] = "lognormal"
    cv: PositiveFloat

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)

    def quantile(self, u: float) -> float:
        sigma2 = math.log1p(self.cv**2)
        z = _STANDARD_NORMAL.inv_cdf(min(max(u, 1e-300), 1 - 1e-16))
        return math.exp(math.log(self.mean_) - sigma2 / 2 + math.sqrt(sigma2) * z)



class Gamma(_ByMean):
    """Gamma given by its mean and coefficient of variation (shape = 1 / cv²)."""

    dist: Literal["gamma"] = "gamma"
    cv: PositiveFloat

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, size)

    def quantile(self, u: float) -> float:
        from scipy.special import gammaincinv

        shape = 1.0 / self.cv**2
        return float(gammaincinv(shape, u)) * self.mean_ / shape



class Deterministic(_Dist):
    """Always the same value (seconds; 0 allowed, e.g. no wrap-up)."""

    dist: Literal["deterministic"] = "deterministic"
    value: float = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def quantile(self, u: float) -> float:
        return self.value



class Empirical(_Dist):
    """A discrete distribution over observed values, with optional weights."""

    dist: Literal["empirical"] = "empirical"
    values: tuple[Annotated[float, Field(ge=0)], ...] = Field(min_length=1)
    weights: tuple[Annotated[float, Field(ge=0)], ...] | None = None

    @model_validator(mode="after")
    def _check_weights(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _probabilities(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return w / w.sum()

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self._probabilities()))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size, p=self._probabilities())

    def quantile(self, u: float) -> float:
        cum = np.cumsum(self._probabilities())
        return float(self.values[min(int(np.searchsorted(cum, u, side="right")),
                                     len(self.values) - 1)])



class Never(_Dist):
    """Infinite time: a caller with this patience never abandons."""

    dist: Literal["none"] = "none"

    @property
    def mean(self) -> float:
        return math.inf

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, math.inf)

    def quantile(self, u: float) -> float:
        return math.inf



Distribution = Annotated[
    Exponential | Lognormal | Gamma | Deterministic | Empirical | Never,
    Field(discriminator="dist"),
]
"""Any distribution, chosen by its ``dist`` tag."""


def _chained(draw: Callable[[], np.ndarray]) -> Callable[[], float]:
    """A zero-argument function returning the next value of blocks drawn by ``draw()``.

    The values are Python floats, so the hot path does no numpy scalar arithmetic.
    """

    def blocks() -> Iterator[list[float]]:
        while True:
            yield draw().tolist()

    return chain.from_iterable(blocks()).__next__


def block_sampler(dist: _Dist, rng: np.random.Generator, block: int = BLOCK
                  ) -> Callable[[], float]:
    """The next variate of ``dist`` on each call; numpy draws them ``block`` at a time."""
    return _chained(lambda: dist.sample(rng, block))


def uniforms(rng: np.random.Generator, block: int = BLOCK) -> Callable[[], float]:
    """The next uniform [0, 1) draw on each call, ``block`` at a time."""
    return _chained(lambda: rng.random(block))


def beta_sampler(a: float, b: float, rng: np.random.Generator, block: int = BLOCK
                 ) -> Callable[[], float]:
    """The next Beta(``a``, ``b``) variate on each call, ``block`` at a time."""
    return _chained(lambda: rng.beta(a, b, block))
