"""Smart customer service (S19): 智能客服 answers frequent questions and points callers online.

On the lines it serves, always or only while the centre is in surge, the bot/IVR takes each
call of its kinds (e.g. consultations) before it queues: a share it answers itself, a share it
moves to the online channel (网上12345, S20) as a work item without voice; the rest go on to a
seat. Smart classification (a higher accuracy) and smart aids (shorter talk) are parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.domain.draws import BOT as BOT_DRAW
from sim.domain.draws import BOT_TIME, uniform
from sim.domain.lines import MINUTE
from sim.model.calls import BOT, BOT_SEAT, RESOLVED, WEB, WORK_ORDER, Call
from sim.model.events import Callback
from sim.scenario.disasters import Bot

if TYPE_CHECKING:
    from sim.model.centre import Centre
    from sim.model.linkage.categories import CategoryTable
    from sim.model.linkage.orders import OrderSystem
    from sim.model.loop import ModelEnvironment


class BotStage:
    """The bot in front of the queues of the lines it serves.

    ``surge_multiple``: per centre index, the surge multiple per minute (``when: surge``);
    ``orders``: where a call moved online becomes a work item (None: no linkage).
    """

    def __init__(self, env: ModelEnvironment, spec: Bot, table: CategoryTable,
                 surge_multiple: dict[int, np.ndarray], orders: OrderSystem | None) -> None:
        self.env = env
        self.spec = spec
        self.table = table
        self.surge_multiple = surge_multiple
        self.orders = orders
        self.lines = set(spec.lines)
        self.eligible = {i for i, c in enumerate(table.categories)
                         if c is None or c.kind in spec.kinds}
        self.always = spec.when == "always"  # (``active`` without a call, on every arrival)
        self.contained = 0
        self.online = 0

    def active(self, centre: Centre, now: float) -> bool:
        """Whether the bot answers at this centre now."""
        if self.spec.when == "always":
            return True
        grid = self.surge_multiple.get(centre.index)
        return grid is not None and grid[min(int(now // MINUTE), len(grid) - 1)] \
            >= self.spec.surge_threshold

    def takes(self, call: Call, centre: Centre, now: float) -> bool:
        """Let the bot handle the call if it can; True when it did (the call is recorded)."""
        if (centre.plan.line not in self.lines or call.category not in self.eligible
                or call.leg > 0 or not (self.always or self.active(centre, now))
                or not centre.trunk_free()):
            return False  # a full centre's busy signal comes from ``Centre.arrive``
        u = uniform(call.key, BOT_DRAW)
        if u >= self.spec.contain + self.spec.online:
            return False
        call.answered = now
        call.talk_end = now + self.spec.bot_time.quantile(uniform(call.key, BOT_TIME))
        call.seat = BOT_SEAT
        if u < self.spec.contain:
            call.disposition = RESOLVED
            self.contained += 1
        else:
            call.disposition = WORK_ORDER
            call.channel = WEB
            self.online += 1
            self._work_item(call, centre)
        centre.record(call.record(np.nan, call.talk_end, BOT))
        centre.bot_busy += 1  # the IVR holds a trunk line while it talks
        centre.bot_took()
        Callback(self._hang_up, centre).at(self.env, call.talk_end)
        return True

    def _hang_up(self, event: Callback) -> None:
        event.tag.bot_busy -= 1

    def _work_item(self, call: Call, centre: Centre) -> None:
        orders = self.orders
        cat = self.table.categories[call.category]
        if orders is not None and cat is not None:
            orders.create("work_order", call.call_id, centre.plan.region, centre.plan.line,
                          cat.department or "网上12345", cat.code, cat.urgency)
