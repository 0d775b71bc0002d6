"""The load tester and the reference server use the simulator's one list of lines."""

from __future__ import annotations

from typing import get_args

from loadtest.server import config, schemas
from sim.domain.lines import LINES


def test_the_api_literals_are_the_line_list():
    # Line and Platform stay Literal[...] (the OpenAPI schema lists them): they must not drift
    assert get_args(schemas.Line) == LINES
    assert get_args(schemas.Platform) == (*LINES, "admin")
    assert get_args(schemas.Platform) == config.PLATFORMS


def test_every_line_has_a_development_token():
    assert set(config.DEV_TOKENS) == {*LINES, "admin"}
