"""Random draws keyed to one caller: common random numbers that stay in step across variants.

What-if variants share their arrivals because every centre's arrival stream is named after the
centre (``sim.domain.streams``). For the rest to stay in step too, no draw may depend on the order in
which events happen: if remote seats answer a caller earlier in one variant, every other
caller must still get the same talk time, patience, redial decision and classification.

So each first attempt gets a 64-bit key, drawn in feed order from its own centre's stream (the
feed is fixed by the seed, whatever happens later). A redial's key and a later leg's key are
mixed from it (``redial_key``, ``leg_key``), and every draw of a leg is a uniform of
(key, slot) — slot naming the attribute — mapped through the distribution's quantile. The
mixing is SplitMix64's finaliser, a bijection of 64-bit integers with good avalanche, so
different (key, slot) pairs give independent-looking uniforms.

Draws of a first attempt's own leg (talk, wrap-up at its first centre) are drawn ahead in numpy
blocks in feed order instead: the same keying, without the per-draw cost on the hot path.
"""

from __future__ import annotations

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15

# What a uniform is for (one slot per attribute of a leg).
(TALK, WRAPUP, PATIENCE, SCOPE, CLASSIFY, WRONG_LINE, AGREE, NEGOTIATION, REDIAL,
 REDIAL_DELAY, BOT, BOT_TIME, DEFLECT, TALK_ON) = range(1, 15)

_REDIAL_SALT = 0xD1B54A32D192ED03
_LEG_SALT = 0xABC98388FB8FAC03


M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
TO_UNIT = 1.1102230246251565e-16  # 2**-53: a 53-bit integer to [0, 1)
SALT = tuple(slot * GOLDEN & MASK for slot in range(TALK_ON + 1))
"""``SALT[slot]``: what ``uniform`` mixes into the key for ``slot`` (for hot paths that inline
``uniform``: ``x = (key ^ SALT[slot]) + GOLDEN & MASK``, then ``mix64``'s two rounds)."""


def mix64(x: int) -> int:
    """SplitMix64's output function: a well-mixed 64-bit integer from ``x``."""
    x = (x + GOLDEN) & MASK
    x = ((x ^ (x >> 30)) * M1) & MASK
    x = ((x ^ (x >> 27)) * M2) & MASK
    return x ^ (x >> 31)


def uniform(key: int, slot: int) -> float:
    """The uniform [0, 1) draw of attribute ``slot`` for the leg with ``key``."""
    x = ((key ^ SALT[slot]) + GOLDEN) & MASK  # mix64, inlined (a call less per draw)
    x = ((x ^ (x >> 30)) * M1) & MASK
    x = ((x ^ (x >> 27)) * M2) & MASK
    return ((x ^ (x >> 31)) >> 11) * TO_UNIT


def redial_key(key: int, attempt: int) -> int:
    """The key of the caller's attempt number ``attempt`` (a redial) from the previous one."""
    return mix64(key ^ (_REDIAL_SALT + attempt) & MASK)


def leg_key(key: int, leg: int) -> int:
    """The key of leg number ``leg`` of a call from the key of the leg before it."""
    return mix64(key ^ (_LEG_SALT + leg) & MASK)


def uniform_array(keys: np.ndarray, slot: int) -> np.ndarray:
    """``uniform(key, slot)`` for every key of an int64 (or uint64) numpy array, at once: the
    same bits (64-bit wrapping arithmetic in uint64, the top 53 bits scaled exactly)."""
    x = np.asarray(keys)
    x = x.view(np.uint64) if x.dtype == np.int64 else x.astype(np.uint64)
    x = (x ^ np.uint64(SALT[slot])) + np.uint64(GOLDEN)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(M1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(M2)
    return ((x ^ (x >> np.uint64(31))) >> np.uint64(11)).astype(np.float64) * TO_UNIT
