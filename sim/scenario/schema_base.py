"""Building blocks shared by the scenario schema modules."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(ge=0.0)]
LINES = ("12345", "110", "119", "120", "122")
"""The linked hotlines (12345 政务服务便民热线, 110 报警, 119 火警, 120 急救, 122 交通事故)."""


class Frozen(BaseModel):
    """Base: unknown keys are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
