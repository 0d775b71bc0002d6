"""Building blocks shared by the scenario schema modules."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sim.domain.lines import LINES

__all__ = ["LINES", "Frozen", "Probability", "Weight"]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(ge=0.0)]


class Frozen(BaseModel):
    """Base: unknown keys are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
