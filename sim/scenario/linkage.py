"""Scenario keys of the linkage (S1-S11, S13, S15): the diversion list, routing, orders."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveInt, field_validator

from sim.domain.distributions import Deterministic, Distribution, Exponential, Lognormal
from sim.domain.lines import HOUR
from sim.scenario.schema_base import Frozen, Probability, Weight


class ThreeWay(Frozen):
    """三方通话 (S4): the caller, 12345 and 110 on one call to agree who owns the matter."""

    negotiation: Distribution = Deterministic(value=60.0)
    ring_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        default=60.0, description="how long the first receiver rings the other platform; if it "
                                  "does not join by then (or cannot: busy trunks, no seat, an "
                                  "outage), the first receiver keeps the call (S7)")
    agreement: Probability = Field(
        default=0.8, description="chance the two platforms agree on the owner; else the "
                                 "platform that first received the call keeps it (S7)")


class InfoSharing(Frozen):
    """S11: utilities publish outage information, so fewer people call about it."""

    published: bool = False
    deflection: Probability = Field(
        default=0.5, description="share of calls (first and repeat) about an outage category "
                                 "that do not happen once the information is published")


class Satisfaction(Frozen):
    """Callback survey (回访): Beta-distributed score in [0, 1] with these means."""

    on_time: Probability = 0.88
    late: Probability = 0.6
    concentration: Annotated[float, Field(gt=0)] = 8.0
    surveyed: Probability = 0.8


Urgency = Literal["emergency", "urgent", "normal"]
URGENT_PROCESSING = {"emergency": Lognormal(mean=HOUR, cv=0.8),
                     "urgent": Lognormal(mean=8 * HOUR, cv=0.8)}


class Orders(Frozen):
    """Work orders (工单) and police orders (警单) at department desks (S13, S15)."""

    sign_delay: Distribution = Exponential(mean=1800.0)
    processing: Distribution = Field(
        default=Lognormal(mean=48 * HOUR, cv=0.8),
        description="a work order's processing time, for urgencies not in processing_by_urgency")
    processing_by_urgency: dict[Urgency, Distribution] = Field(
        default=URGENT_PROCESSING,
        description="a work order's processing time by urgency (emergency, urgent, normal); an "
                    "urgency left out keeps its default (emergency 1 h, urgent 8 h, normal: "
                    "`processing`); desks also serve emergency before urgent before normal")

    @field_validator("processing_by_urgency", mode="after")
    @classmethod
    def _keep_defaults(cls, value: dict) -> dict:
        # Naming one urgency must not silently send the others to the normal time.
        return {**URGENT_PROCESSING, **value}
    police_processing: Distribution = Lognormal(mean=2700.0, cv=0.8)
    desk_capacity: PositiveInt = Field(
        default=200, description="orders a department desk of one region works on at once")
    deadline_hours: dict[str, NonNegativeFloat] = Field(
        default={"emergency": 2.0, "urgent": 24.0, "normal": 120.0},
        description="due time by urgency: urgent the same day, normal 5 days (calendar days)")
    reopen: Probability = Field(default=0.05, description="chance a closed order is reopened")
    satisfaction: Satisfaction = Satisfaction()


class Linkage(Frozen):
    """How calls are classified and routed between lines (S3-S11), and the orders they create."""

    diversion_list: str | None = Field(
        default=None, description="diversion-list file (default: scenarios/data/"
                                  "diversion-list.yaml)")
    mix: dict[str, dict[str, Weight]] | None = Field(
        default=None, description="per line, category weights replacing the diversion list's mix")
    accuracy: dict[str, Probability] = Field(
        default={"default": 0.95},
        description="chance a call-taker classifies a call right, by line ('default' for others)")
    transfer_talk_factor: Annotated[float, Field(gt=0)] = Field(
        default=0.6, description="talk at the receiving centre relative to a fresh call: the "
                                 "transferred record spares questions (S3)")
    transfer_priority: bool = Field(
        default=True, description="transferred calls queue ahead of new ones (after emergencies)")
    max_hops: PositiveInt = Field(
        default=3, description="transfers after which the current centre keeps the call")
    three_way: ThreeWay = ThreeWay()
    info_sharing: InfoSharing = InfoSharing()
    orders: Orders = Orders()
