"""Random streams: one seeded generator family per replication, never a global one.

Replication ``r`` of a scenario with seed ``s`` draws from ``SeedSequence(s).spawn(R)[r]``.
Within a replication each model part (a centre's arrivals, its talk times, ...) draws from its
own child stream, keyed by a stable name rather than by creation order. Two variants of a
scenario run with the same seed therefore share their arrivals (common random numbers), which
makes what-if comparisons sharper, and the same scenario and seed give the same output bytes.
"""

from __future__ import annotations

import zlib

import numpy as np


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """The seed sequence of each replication, derived from the scenario seed."""
    return np.random.SeedSequence(seed).spawn(replications)


class Streams:
    """Named generators derived from one replication's seed sequence."""

    def __init__(self, seq: np.random.SeedSequence) -> None:
        self._seq = seq
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for ``name`` (the same object on every call with that name)."""
        rng = self._cache.get(name)
        if rng is None:
            child = np.random.SeedSequence(
                entropy=self._seq.entropy,
                spawn_key=(*self._seq.spawn_key, zlib.crc32(name.encode("utf-8"))),
            )
            rng = self._cache[name] = np.random.default_rng(child)
        return rng
