"""Freed memory kept for reuse (glibc): a second array of a few MB reuses the first's pages."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sim.results import allocator

# In a fresh process: one array of 8 MB made, touched and freed, then how many page faults a
# second one of the same size costs (glibc by default unmaps the first and faults in new pages)
_PROBE = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from sim.results.allocator import keep_freed_memory
    assert keep_freed_memory()
a = np.ones(1 << 20); del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = np.ones(1 << 20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

pytestmark = pytest.mark.skipif(allocator._glibc() is None, reason="glibc's malloc only")


def _faults(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k not in allocator._USER_SETTINGS}
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], env=env, check=True,
                         capture_output=True, text=True)
    return int(out.stdout)


def test_a_freed_array_is_reused_without_page_faults():
    kept, default = _faults("keep"), _faults("default")
    assert kept * 10 < default  # new pages fault (by 4 KiB or 2 MiB); reused ones do not


def test_the_users_own_malloc_settings_are_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "0")
    allocator.keep_freed_memory.cache_clear()
    try:
        assert allocator.keep_freed_memory() is False
    finally:
        allocator.keep_freed_memory.cache_clear()
