"""Distributions for talk, wrap-up, patience and redial delays.

Each distribution is a small validated object that knows its mean (so a scenario can compare
offered load with seats before running) and draws variates in numpy blocks. Times are seconds.
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
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

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

    def scaled(self, factor: float) -> Distribution:
        """The same family with every value multiplied by ``factor`` (mean scales, cv does not)."""
        raise NotImplementedError  # pragma: no cover


class Exponential(_Dist):
    """Exponential with the given mean (seconds)."""

    dist: Literal["exponential"] = "exponential"
    mean_: PositiveFloat = Field(alias="mean")

    @property
    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def scaled(self, factor: float) -> Exponential:
        return Exponential(mean=self.mean_ * factor)


class Lognormal(_Dist):
    """Lognormal given by its mean and coefficient of variation (sd / mean)."""

    dist: Literal["lognormal"] = "lognormal"
    mean_: PositiveFloat = Field(alias="mean")
    cv: PositiveFloat

    @property
    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)

    def scaled(self, factor: float) -> Lognormal:
        return Lognormal(mean=self.mean_ * factor, cv=self.cv)


class Gamma(_Dist):
    """Gamma given by its mean and coefficient of variation (shape = 1 / cv²)."""

    dist: Literal["gamma"] = "gamma"
    mean_: PositiveFloat = Field(alias="mean")
    cv: PositiveFloat

    @property
    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, size)

    def scaled(self, factor: float) -> Gamma:
        return Gamma(mean=self.mean_ * factor, cv=self.cv)


class Deterministic(_Dist):
    """Always the same value (seconds; 0 allowed, e.g. no wrap-up)."""

    dist: Literal["deterministic"] = "deterministic"
    value: float = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def scaled(self, factor: float) -> Deterministic:
        return Deterministic(value=self.value * factor)


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

    def scaled(self, factor: float) -> Empirical:
        return Empirical(values=tuple(v * factor for v in self.values), weights=self.weights)


class Never(_Dist):
    """Infinite time: a caller with this patience never abandons."""

    dist: Literal["none"] = "none"

    @property
    def mean(self) -> float:
        return math.inf

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, math.inf)

    def scaled(self, factor: float) -> Never:
        return self


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Deterministic | Empirical | Never,
    Field(discriminator="dist"),
]
"""Any distribution, chosen by its ``dist`` tag."""


def block_sampler(
    dist: _Dist, rng: np.random.Generator, block: int = BLOCK
) -> Callable[[], float]:
    """A zero-argument function returning the next variate; numpy draws them ``block`` at a time.

    The draws are Python floats, so the hot path does no numpy scalar arithmetic.
    """

    def blocks() -> Iterator[list[float]]:
        while True:
            yield dist.sample(rng, block).tolist()

    return chain.from_iterable(blocks()).__next__


def uniforms(rng: np.random.Generator, block: int = BLOCK) -> Callable[[], float]:
    """A zero-argument function returning uniform [0, 1) draws, ``block`` at a time."""

    def blocks() -> Iterator[list[float]]:
        while True:
            yield rng.random(block).tolist()

    return chain.from_iterable(blocks()).__next__
