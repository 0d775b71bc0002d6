"""Child processes that do not outlive the process that started them."""

from __future__ import annotations

import sys


def die_with_parent() -> None:
    """For ``subprocess.Popen(preexec_fn=...)``: on Linux the child gets SIGTERM when its parent
    dies, so a run killed from outside (a timeout, Ctrl-C twice) cannot leave servers, Locust
    workers or browsers running. Elsewhere it does nothing."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
