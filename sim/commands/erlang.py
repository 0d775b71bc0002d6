"""``hotline erlang b|c|a``: the analytic calculators (blocking, waiting, waiting with
abandonment), and the seats needed for a service-level target."""

from __future__ import annotations

import math

import click

from sim.domain.errors import InputError

__all__ = ["erlang"]


@click.group()
def erlang() -> None:
    """Analytic calculators: Erlang B (blocking), C (waiting), A (waiting with abandonment).

    Rates and times in one unit of your choice (e.g. calls per minute and minutes).
    """


@erlang.command("b")
@click.option("--servers", "-n", type=click.IntRange(min=1), required=True, help="Servers (seats or trunks).")
@click.option("--offered", "-a", type=click.FloatRange(min=0), required=True, help="Offered load in Erlangs.")
def erlang_b_cmd(servers, offered) -> None:
    """Blocking probability of M/M/n/n. Example: hotline erlang b -n 10 -a 5"""
    from sim.queueing import erlang as e

    click.echo(f"P(block) = {e.erlang_b(servers, offered):.6g}")


def _queue_options(f):
    f = click.option("--max-occupancy", type=click.FloatRange(0, 1, min_open=True), default=None,
                     help="With --target: the seats also keep occupancy at or below this "
                          "(e.g. 0.85, so agents are not run at their limit).")(f)
    f = click.option("--target", "target", metavar="LEVEL/T", default=None,
                     help="Find the fewest seats answering LEVEL of calls within T (same time "
                          "unit as --talk), e.g. 0.8/20; instead of --servers.")(f)
    f = click.option("--within", "-t", "within", type=click.FloatRange(min=0), multiple=True,
                     default=(20 / 60,), show_default=True,
                     help="Service-level threshold(s), same time unit.")(f)
    f = click.option("--talk", type=click.FloatRange(min=0, min_open=True), required=True,
                     help="Mean talk (handle) time.")(f)
    f = click.option("--rate", type=click.FloatRange(min=0), required=True, help="Arrival rate.")(f)
    return click.option("--servers", "-n", type=click.IntRange(min=1), default=None,
                        help="Seats (or give --target to find them).")(f)


def _parse_target(text: str) -> tuple[float, float]:
    """``0.8/20`` → (0.8, 20.0); exit 2 naming --target otherwise."""
    level, sep, t = text.partition("/")
    try:
        value = (float(level.rstrip("%")) / (100 if level.endswith("%") else 1), float(t))
    except ValueError:
        value = None
    if not sep or value is None or not 0 < value[0] < 1 or not 0 <= value[1] < math.inf:
        raise InputError(f"expected LEVEL/T with 0 < LEVEL < 1 and finite T >= 0, e.g. 0.8/20, got "
                         f"{text!r}", key="--target")
    return value


def _seats_mode(servers, target, rate: float, talk: float) -> tuple[float, float] | None:
    """The --target goal, or None for --servers; exit 2 for both, neither or too big a load."""
    from sim.queueing.inverse import MAX_OFFERED

    if (servers is None) == (target is None):
        raise InputError("give either --servers N (the queue with N seats) or --target "
                         "LEVEL/T (the seats needed), not both or neither", key="--servers")
    if target is None:
        return None
    goal = _parse_target(target)
    if rate * talk > MAX_OFFERED:
        raise InputError(f"with --talk {talk:g}, {rate * talk:.4g} Erlangs are offered: "
                         f"beyond the {MAX_OFFERED:,.0f} the seat search accepts (rate and "
                         "talk in one time unit?)", key="--rate")
    return goal


def _no_load(rate: float) -> bool:
    """With --target and --rate 0: say that no seat is needed (nothing is offered)."""
    if rate == 0:
        click.echo("seats needed = 0: nothing is offered (--rate 0), so any number of seats "
                   "meets the target")
    return rate == 0


def _overload_warning(offered: float, servers: int) -> None:
    if offered >= servers:
        click.echo(f"warning: offered load {offered:.4g} Erl >= {servers} seats: without "
                   "abandonment the queue grows without bound (no steady state)", err=True)


def _echo_seats(need, level: float, t: float, cap: float | None) -> None:
    def sl(q) -> float:
        return q.p_answered_within(t) if hasattr(q, "p_abandon") else q.service_level(t)

    click.echo(f"seats needed = {need.seats} (set by the {need.binding}): service level within "
               f"{t:g} = {sl(need.at):.6g} >= {level:g}, occupancy = {need.at.occupancy:.4g}"
               + (f" <= {cap:g}" if cap is not None else ""))
    if need.one_fewer is not None:
        q = need.one_fewer
        click.echo(f"with {need.seats - 1} seats: service level within {t:g} = {sl(q):.6g}, "
                   f"occupancy = {q.occupancy:.4g}")


@erlang.command("c")
@_queue_options
def erlang_c_cmd(servers, rate, talk, within, target, max_occupancy) -> None:
    """Erlang C (M/M/n), or the seats needed for a target.

    Examples: hotline erlang c -n 12 --rate 10 --talk 1 -t 0.3333;
    hotline erlang c --target 0.8/20 --rate 0.5 --talk 180 --max-occupancy 0.85
    (rates and times in one unit, here seconds).
    """
    from sim.queueing import erlang as e
    from sim.queueing import inverse

    goal = _seats_mode(servers, target, rate, talk)
    if goal is not None and _no_load(rate):
        return
    if goal is not None:
        need = inverse.seats_for_target(rate, talk, goal[1], goal[0], max_occupancy=max_occupancy)
        _echo_seats(need, goal[0], goal[1], max_occupancy)
        return
    r = e.erlang_c(servers, rate, talk)
    _overload_warning(r.offered, servers)
    click.echo(f"offered {r.offered:.4g} Erl, P(wait) = {r.p_wait:.6g}, mean wait = "
               f"{r.mean_wait:.6g}, occupancy = {r.occupancy:.4g}")
    for t in within:
        click.echo(f"service level within {t:g} = {r.service_level(t):.6g}")


@erlang.command("a")
@_queue_options
@click.option("--patience", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Mean patience (exponential).")
def erlang_a_cmd(servers, rate, talk, within, target, max_occupancy, patience) -> None:
    """Erlang A (M/M/n+M), or the seats needed for a target.

    Examples: hotline erlang a -n 50 --rate 45 --talk 1 --patience 2;
    hotline erlang a --target 0.8/0.3333 --rate 45 --talk 1 --patience 2 --max-occupancy 0.9
    """
    from sim.queueing import erlang as e
    from sim.queueing import inverse

    goal = _seats_mode(servers, target, rate, talk)
    if goal is not None and _no_load(rate):
        return
    if goal is not None:
        need = inverse.seats_for_target(rate, talk, goal[1], goal[0], patience, max_occupancy)
        _echo_seats(need, goal[0], goal[1], max_occupancy)
        return
    r = e.erlang_a(servers, rate, talk, patience)
    if r.offered >= servers:
        click.echo(f"note: offered load {r.offered:.4g} Erl >= {servers} seats: the queue is "
                   "held only by abandonment", err=True)
    click.echo(f"P(wait>0) = {r.p_wait:.6g}, P(abandon) = {r.p_abandon:.6g}, "
               f"mean wait = {r.mean_wait:.6g}")
    for t in within:
        click.echo(f"answered within {t:g} (of all arrivals) = {r.p_answered_within(t):.6g}")
