"""The linked hotlines, their queue classes and the units of simulated time, defined once.

Lines (热线): 12345 政务服务便民热线 (government services), 110 报警 (police), 119 火警 (fire),
120 急救 (ambulance), 122 交通事故 (traffic). The model's clock runs in seconds.
"""

from __future__ import annotations

from typing import Final

LINES: Final = ("12345", "110", "119", "120", "122")
"""The linked hotlines, in the order tables and reports show them."""
EMERGENCY_LINES: Final = ("110", "119", "120", "122")
"""The emergency lines (the desks that dispatch; every line but 12345)."""
GOVERNMENT_LINE: Final = "12345"
POLICE_LINE: Final = "110"

UTILITY_LINES: Final = ("water", "power", "gas", "heating")
"""Public-utility hotlines (水电气热公共事业服务热线, S10)."""

# Queue classes (排队优先级): a seat that frees serves the lowest class first, FIFO within one.
EMERGENCY_CLASS: Final = 0
"""Emergencies (and the legs of an emergency carried over by transfer)."""
TRANSFER_CLASS: Final = 1
"""Transferred legs when ``linkage.transfer_priority`` is on: ahead of new ordinary calls."""
ORDINARY_CLASS: Final = 2
"""Everything else."""

MINUTE: Final = 60.0
HOUR: Final = 3600.0
DAY: Final = 86400.0
"""Seconds in a minute, an hour and a day of simulated time."""
