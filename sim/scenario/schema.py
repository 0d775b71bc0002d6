"""The scenario's typed, frozen form. Defaults live here and nowhere else.

A scenario file is plain YAML; ``sim.scenario.loader`` validates it once into these objects.
Times in a scenario are seconds unless a key says otherwise (``*_hours``, ``*_minutes``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, NonNegativeFloat, PositiveInt, PrivateAttr, model_validator

from sim.domain.distributions import Deterministic, Distribution, Exponential, Never
from sim.domain.lines import HOUR
from sim.scenario.disasters import (
    Borrowing,
    Bot,
    Disaster,
    Incidents,
    KpiWindow,
    Merge,
    Outage,
)
from sim.scenario.linkage import Linkage
from sim.scenario.schema_base import LINES, Frozen, Probability, Weight

__all__ = ["LINES", "CentreSpec", "Frozen", "LineSpec", "Probability", "Provenance", "Redial",
           "Scenario", "Seats", "Target", "Weight"]


@dataclass(frozen=True)
class Provenance:
    """Where a loaded scenario came from: enough to load it again with more overrides.

    ``source`` is the file as the loader resolved it (a built-in name becomes its file), so
    errors in a re-load name the same file as the first load; ``overrides`` are the ``--set``
    values in order; ``replications`` and ``seed`` (``-r``, ``--seed``; ``None``: not given)
    are applied after every override, so they win over one that sets the same key.
    """

    source: Path
    overrides: tuple[str, ...] = ()
    replications: int | None = None
    seed: int | None = None


class Redial(Frozen):
    """Callers who try again after abandoning or hearing a busy signal (重拨)."""

    after_abandon: Probability = 0.0
    after_blocked: Probability = 0.0
    delay: Distribution = Exponential(mean=300.0)
    max_attempts: PositiveInt = 5


class Target(Frozen):
    """A service-level target: ``level`` of calls answered within ``seconds``."""

    seconds: NonNegativeFloat = 15.0
    level: Probability = 0.9


class LineSpec(Frozen):
    """Defaults for every centre of one line; a centre may override any of them."""

    talk: Distribution = Exponential(mean=120.0)
    wrapup: Distribution = Deterministic(value=0.0)
    patience: Distribution = Never()
    redial: Redial = Redial()
    target: Target = Target()
    hour_profile: tuple[Weight, ...] | None = Field(
        default=None, description="24 weights: share of a day's calls in each hour (normalised)"
    )
    day_profile: tuple[Weight, ...] | None = Field(
        default=None, description="7 weights Monday..Sunday: day volume relative to the mean"
    )
    seat_shape: tuple[Weight, ...] | None = Field(
        default=None, description="24 fractions of a centre's peak seats on duty in each hour"
    )
    busyness_variance: NonNegativeFloat = Field(
        default=0.0, description="variance of the per-day gamma busyness factor (mean 1); 0 = none"
    )

    @model_validator(mode="after")
    def _lengths(self) -> LineSpec:
        for key, n in (("hour_profile", 24), ("day_profile", 7), ("seat_shape", 24)):
            value = getattr(self, key)
            if value is not None:
                if len(value) != n:
                    raise ValueError(f"{key} needs {n} values, got {len(value)}")
                if sum(value) <= 0:
                    raise ValueError(f"{key} must not be all zeros")
        return self


class Seats(Frozen):
    """Seats on duty (坐席): a constant, a peak scaled by the line's seat shape, or an hourly list.

    ``hourly`` of 24 values repeats daily, of 168 repeats weekly; any other length must cover the
    whole horizon (one value per hour). A seat whose shift ends finishes its call, then leaves.
    """

    constant: int | None = Field(default=None, ge=0)
    peak: int | None = Field(default=None, ge=0)
    minimum: int = Field(default=0, ge=0)
    hourly: tuple[Annotated[int, Field(ge=0)], ...] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Seats:
        given = [k for k in ("constant", "peak", "hourly") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of constant, peak or hourly")
        return self


class CentreSpec(Frozen):
    """One centre (话务中心): a line in a region, with its volume, seats and trunks.

    Any key of ``LineSpec`` given here overrides the line's default for this centre.
    """

    calls_per_day: NonNegativeFloat = Field(
        default=0.0, description="mean calls offered per day (first attempts, Poisson)")
    arrival_times: tuple[NonNegativeFloat, ...] = Field(
        default=(), description="scripted first attempts (seconds from the start), added to the "
                                "Poisson arrivals: for drills and exact tests")
    seats: Seats
    trunks: int | None = Field(
        default=None, ge=0, description="simultaneous calls (talking + waiting); none = unlimited"
    )
    talk: Distribution | None = None
    wrapup: Distribution | None = None
    patience: Distribution | None = None
    redial: Redial | None = None
    target: Target | None = None
    hour_profile: tuple[Weight, ...] | None = None
    day_profile: tuple[Weight, ...] | None = None
    seat_shape: tuple[Weight, ...] | None = None
    busyness_variance: NonNegativeFloat | None = None

    @model_validator(mode="before")
    @classmethod
    def _seats_shorthand(cls, data: object) -> object:
        # ``seats: 12`` is short for ``seats: {constant: 12}``.
        if isinstance(data, dict) and isinstance(data.get("seats"), int):
            data = {**data, "seats": {"constant": data["seats"]}}
        return data


class Scenario(Frozen):
    """A whole scenario: the network of centres, its horizon and how to measure it."""

    name: str
    description: str = ""
    seed: int = Field(default=20221, ge=0)
    start: datetime = datetime.fromisoformat("2024-06-03T00:00:00+08:00")
    horizon_hours: float = Field(default=168.0, gt=0)
    warmup_hours: NonNegativeFloat = 0.0
    drain_hours: NonNegativeFloat = Field(
        default=6.0, description="after the horizon, arrivals stop and calls in progress finish"
    )
    interval_minutes: PositiveInt = 15
    replications: PositiveInt = 5
    service_level_seconds: tuple[NonNegativeFloat, ...] = (10.0, 15.0, 20.0)
    lines: dict[str, LineSpec] = Field(min_length=1)
    centres: dict[str, CentreSpec] = Field(
        min_length=1, description='keyed "REGION/LINE", e.g. "622900/110"'
    )
    linkage: Linkage | None = Field(
        default=None, description="categories, routing between lines and orders; absent: every "
                                  "call is resolved where it is answered")
    disasters: tuple[Disaster, ...] = ()
    incidents: dict[str, Incidents] = Field(default={}, description="per line")
    outages: tuple[Outage, ...] = ()
    borrowing: tuple[Borrowing, ...] = ()
    bot: Bot | None = None
    merge: Merge | None = None
    kpi_windows: tuple[KpiWindow, ...] = ()
    variants: dict[str, tuple[str, ...]] = Field(
        default={}, description="named --set override lists run beside the scenario and compared")

    # Set by the loader, not part of the scenario (not validated, dumped or compared).
    _provenance: Provenance | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup_hours >= self.horizon_hours:
            raise ValueError("warmup_hours must be shorter than horizon_hours")
        return self

    @property
    def provenance(self) -> Provenance | None:
        """The file and overrides this scenario was loaded from; ``None`` for one built in code
        or changed since (``model_copy(update=...)``). ``sim.scenario.with_overrides`` uses it."""
        return self._provenance

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Scenario:
        """A copy; one with ``update`` is no longer what its file and overrides give, so it
        forgets its provenance (``with_overrides`` then starts from its fields)."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy._provenance = None
        return copy

    def __eq__(self, other: object) -> bool:
        """Equal when every field is: where a scenario was loaded from is not part of it."""
        if not isinstance(other, Scenario):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    @property
    def horizon(self) -> float:
        """Horizon in seconds."""
        return self.horizon_hours * HOUR

    @property
    def horizon_whole_hours(self) -> int:
        """Hours a schedule must cover."""
        return math.ceil(self.horizon_hours)
