"""Locust file of ``hotline loadtest``: the open-loop trace replay (``loadtest.replay``).

Kept in its own folder because Locust puts a locust file's folder on ``sys.path``; run it as
``locust -f loadtest/locustfiles/replay.py --trace T ...`` (docs/loadtest.md shows the options,
master and workers on several machines).
"""

from loadtest.replay import ReplayUser

__all__ = ["ReplayUser"]
