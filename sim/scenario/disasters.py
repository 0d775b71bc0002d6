"""Scenario keys of disasters and the response to them (S11, S12, S18, S19, S20).

Times inside a disaster are hours from the scenario start unless a key says minutes.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from sim.domain.distributions import Distribution, Exponential
from sim.scenario.schema_base import Frozen, Probability, Weight


class Surge(Frozen):
    """A line's call volume in a disaster, as a multiple of normal at intensity 1.

    Either a curve (peak multiple reached linearly over ``rise_hours`` after ``delay_hours``,
    then decaying with ``half_life_hours``) or a piecewise-linear ``table`` of
    ``[hours after the start, multiple]`` pairs. At intensity x the multiple is 1 + x (m - 1).
    """

    peak: PositiveFloat = 1.0
    delay_hours: NonNegativeFloat = 0.0
    rise_hours: NonNegativeFloat = 1.0
    half_life_hours: PositiveFloat = 12.0
    table: tuple[tuple[NonNegativeFloat, NonNegativeFloat], ...] | None = None
    mix_shift: dict[str, Weight] | None = Field(
        default=None, description="category weights that calls take on during the surge")
    mix_shift_share: Probability = Field(
        default=0.5, description="at the surge's height, the share of calls drawn from mix_shift")
    patience_factor: PositiveFloat = Field(
        default=1.0, description="patience multiplier at the surge's height (scaled by the curve)")
    redial_factor: NonNegativeFloat = Field(
        default=1.0, description="redial probability multiplier at the surge's height")


class Suppression(Frozen):
    """Calls that cannot get through (base stations down), then come back (a rebound)."""

    delay_hours: NonNegativeFloat = 0.0
    hours: NonNegativeFloat = Field(default=3.0, description="how long calls are suppressed")
    factor: Probability = Field(default=0.3, description="share of calls getting through then")
    recovery_hours: PositiveFloat = Field(default=11.0, description="linear return to normal")
    rebound: Probability = Field(
        default=0.5, description="share of the suppressed calls made later, in the recovery")


class Disaster(Frozen):
    """A disaster: when, where (intensity per region) and what it does to each line."""

    name: str
    type: str = "earthquake"
    start_hours: NonNegativeFloat = 0.0
    regions: dict[str, Probability] = Field(
        min_length=1, description="intensity in [0, 1] per affected region code")
    lines: dict[str, Surge] = Field(min_length=1)
    suppression: Suppression | None = None
    incident_factor: NonNegativeFloat = Field(
        default=1.0, description="incident rate multiplier at the surge's height")


class Incidents(Frozen):
    """Incidents: one event makes a cluster of callers (several people report one fire).

    ``regions`` scopes them (e.g. to a disaster's affected regions); by default they happen
    at this line's centre in every region.
    """

    rate_per_day: NonNegativeFloat = Field(description="incidents per centre per normal day")
    callers: Distribution = Exponential(mean=3.0)
    spread: Distribution = Exponential(mean=180.0)
    categories: dict[str, Weight] = Field(min_length=1)
    regions: tuple[str, ...] | None = Field(
        default=None, min_length=1,
        description="region codes whose centres have these incidents (default: every region)")

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        from sim.domain.regions import load_regions

        table = load_regions()
        unknown = [c for c in codes or () if c not in table]
        if unknown:
            raise ValueError(f"unknown region code(s) {', '.join(unknown)} (expected GB/T 2260 "
                             "codes from scenarios/data/regions.yaml)")
        return codes

    def reaches(self, region: str) -> bool:
        """Whether a centre in ``region`` has these incidents."""
        return self.regions is None or region in self.regions


class Outage(Frozen):
    """A centre (or its trunks) down: its calls go to a fallback (NG911-style policy routing)."""

    centre: str
    start_hours: NonNegativeFloat
    end_hours: NonNegativeFloat
    fallback: tuple[str, ...] = Field(
        default=(), description="centre keys tried in order; default: neighbours, then province")

    @model_validator(mode="after")
    def _order(self) -> Outage:
        if self.end_hours <= self.start_hours:
            raise ValueError("end_hours must be after start_hours")
        return self


class Trigger(Frozen):
    """When a centre asks for remote seats: either condition, held for ``hold_minutes``."""

    service_level_below: Probability = 0.8
    waiting_per_seat_above: NonNegativeFloat = 1.0
    hold_minutes: NonNegativeFloat = 10.0
    min_calls: int = Field(default=10, ge=0, description="the service level counts only with at "
                                                          "least this many calls in the window")


class Release(Frozen):
    """When borrowed seats go home (hysteresis: a higher level than the trigger)."""

    service_level_above: Probability = 0.95
    waiting_per_seat_below: NonNegativeFloat = 0.1
    own_occupancy_below: NonNegativeFloat = Field(
        default=0.8, description="and the calls in progress would fill at most this share of "
                                 "the centre's own seats (else the borrowed seats are still "
                                 "carrying the load)")
    hold_minutes: NonNegativeFloat = 30.0


class Borrowing(Frozen):
    """Remote seat borrowing (S12): 远程话务座席, arranged per line by the higher level."""

    line: str
    enabled: bool = True
    check_minutes: PositiveFloat = 5.0
    window_minutes: PositiveFloat = 10.0
    trigger: Trigger = Trigger()
    release: Release = Release()
    activation_minutes: NonNegativeFloat = Field(
        default=30.0, description="delay before lent seats start answering")
    cap: PositiveInt = Field(default=10, description="borrowed seats per recipient at most")
    step: PositiveInt = Field(default=4, description="seats requested per check")
    donor_floor: Probability = Field(
        default=0.7, description="a donor keeps at least this share of its scheduled seats")
    donor_min_seats: int = Field(default=2, ge=0)
    donor_margin: NonNegativeFloat = Field(
        default=0.03, description="a donor lends only while its service level is at least its "
                                  "target plus this margin, with nobody waiting")
    pool_seats: int = Field(default=0, ge=0, description="a provincial pool of extra seats")
    talk_factor: PositiveFloat = Field(
        default=1.2, description="borrowed seats talk longer (no local knowledge)")


class Bot(Frozen):
    """Smart customer service (S19): a bot/IVR stage, online diversion, smart aids."""

    enabled: bool = True
    lines: tuple[str, ...] = ("12345",)
    when: Annotated[str, Field(pattern="^(always|surge)$")] = "surge"
    surge_threshold: PositiveFloat = Field(default=1.5, description="surge multiple that counts")
    kinds: tuple[str, ...] = ("consultation",)
    contain: Probability = Field(default=0.3, description="share of those calls the bot answers")
    online: Probability = Field(
        default=0.1, description="share moved to the online channel as a work item (S20)")
    bot_time: Distribution = Exponential(mean=90.0)
    smart_classification: Probability | None = Field(
        default=None, description="classification accuracy with smart classification")
    smart_aid_talk_factor: PositiveFloat = Field(
        default=1.0, description="talk time multiplier with smart aids (knowledge base, 即问即答)")


class Merge(Frozen):
    """S18 what-if: utility hotlines' calls and seats go to the region's 12345 centre."""

    lines: tuple[str, ...] = ("water", "power", "gas", "heating")
    into: str = "12345"


class KpiWindow(Frozen):
    """An extra KPI window (e.g. the first 6 hours of a disaster), hours from the start."""

    name: str
    start_hours: NonNegativeFloat
    end_hours: PositiveFloat
