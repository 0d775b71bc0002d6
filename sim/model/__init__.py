"""The discrete-event model (SimPy): the event loop, callers, centres, the linkage between
lines, seat borrowing, the bot, outages and the auditor. Writes records; never reads results."""
