"""The hour tick: seats on duty follow each centre's shift schedule, hour by hour."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sim.domain.lines import HOUR
from sim.model.events import Callback

if TYPE_CHECKING:
    from sim.model.centre import Centre
    from sim.model.loop import ModelEnvironment


class HourTick:
    """At each hour from the first on, put the scheduled own seats on duty (less those lent
    away) at every centre, then tell ``on_hour(hour)`` (progress bars), for ``hours`` hours."""

    def __init__(self, env: ModelEnvironment, centres: Sequence[Centre], hours: int,
                 on_hour: Callable[[int], None] | None = None) -> None:
        self.env = env
        self.centres = centres
        self.hours = hours
        self.on_hour = on_hour
        self._ticker = Callback(self._tick)

    def start(self) -> None:
        """Schedule the first tick (at the end of hour 0), if there is more than one hour."""
        if self.hours > 1:
            self._ticker.at(self.env, HOUR)

    def _tick(self, _event: Callback) -> None:
        hour = int(round(self.env.now / HOUR))
        for centre in self.centres:
            seats = max(0, centre.plan.seats_at(hour) - centre.lent)
            if seats != centre.own_seats:
                centre.set_seats(own=seats)
        if hour + 1 < self.hours:
            self._ticker.at(self.env, (hour + 1) * HOUR)
        if self.on_hour is not None:
            self.on_hour(hour)
