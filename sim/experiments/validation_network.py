"""Exact answers for open networks of M/M/c centres (Jackson/Kelly networks).

A validation network is one region whose centres are linked only by one-key transfers
(一键携号转接) of calls whose route follows the category mix and the call-takers'
classification: Poisson arrivals, exponential talk with the same law for a transferred call as
for a fresh one (``transfer_talk_factor`` 1, category factors 1), no priority, no patience, no
redials, no trunk limit, constant seats. Routing then depends only on the call's category and
hop count, never on the state of the network, so the network is a Kelly network with
class-independent exponential service at every centre: each centre behaves as an M/M/c queue
fed at its total arrival rate from the traffic equations, and arrivals (transfers too) see time
averages. P(wait) and the mean wait of each centre are therefore Erlang C at that rate.

The traffic equations here follow the router's rules for such calls: at line L a call of a
category owned by O is classified right with L's accuracy (perceived O), or else as one of the
other served lines, uniformly; it stays when perceived as L, stays after ``max_hops``
transfers, and is otherwise transferred to the perceived line's centre.
"""

from __future__ import annotations

from collections import defaultdict

from sim.domain.errors import InputError
from sim.domain.taxonomy import Category, load_taxonomy
from sim.model.linkage.routing import DEFAULT_ACCURACY
from sim.queueing import erlang
from sim.scenario import Scenario


def _require(ok: bool, scenario: Scenario, key: str, expected: str) -> None:
    if not ok:
        raise InputError(f"a Jackson validation network needs {expected}",
                         source=scenario.name, key=key)


def _categories(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Per line, the normalised category mix; every category checked for product form."""
    link = scenario.linkage
    _require(link is not None and link.mix is not None, scenario, "linkage.mix",
             "linkage with an explicit mix per line")
    _require(link.transfer_talk_factor == 1.0, scenario, "linkage.transfer_talk_factor", "1")
    _require(not link.transfer_priority, scenario, "linkage.transfer_priority", "false")
    taxonomy = load_taxonomy(link.diversion_list)
    mixes = {}
    for line, weights in link.mix.items():
        total = sum(weights.values())
        for code in weights:
            cat: Category = taxonomy.get(code)
            _require(cat.transfer_mode == "one_key" and not cat.danger and not cat.scope_unclear
                     and cat.urgency != "emergency" and cat.talk_factor == 1.0
                     and cat.owner in scenario.lines, scenario, f"linkage.mix.{line}.{code}",
                     "categories owned by a served line, one-key, no danger, no unclear scope, "
                     "not emergencies, talk factor 1")
        mixes[line] = {code: w / total for code, w in weights.items()}
    return mixes


def _centres(scenario: Scenario) -> dict[str, tuple[str, float, int]]:
    """Line → (centre key, external calls per second, seats); one region, one centre per line."""
    regions = {key.partition("/")[0] for key in scenario.centres}
    _require(len(regions) == 1, scenario, "centres", "all centres in one region")
    out = {}
    for key, centre in scenario.centres.items():
        line = key.partition("/")[2]
        spec = scenario.lines[line]
        _require(centre.seats.constant is not None, scenario, f"centres.{key}.seats",
                 "constant seats")
        _require(centre.trunks is None, scenario, f"centres.{key}.trunks", "no trunk limit")
        talk, patience = centre.talk or spec.talk, centre.patience or spec.patience
        _require(talk.dist == "exponential", scenario, f"lines.{line}.talk", "exponential talk")
        _require(patience.dist == "none", scenario, f"lines.{line}.patience", "no abandonment")
        out[line] = (key, centre.calls_per_day / 86400.0, centre.seats.constant)
    return out


def total_rates(scenario: Scenario) -> dict[str, float]:
    """Each centre's total arrival rate (calls per second): external plus transfers in."""
    mixes, centres = _categories(scenario), _centres(scenario)
    taxonomy = load_taxonomy(scenario.linkage.diversion_list)
    served = sorted(centres)
    default = scenario.linkage.accuracy.get("default", DEFAULT_ACCURACY)
    flow: dict[tuple[str, str], float] = defaultdict(float)  # (line, category) at this hop
    for line, (_, rate, _) in centres.items():
        for code, share in mixes.get(line, {}).items():
            flow[line, code] += rate * share
    totals = dict.fromkeys(served, 0.0)
    for hop in range(scenario.linkage.max_hops + 1):
        nxt: dict[tuple[str, str], float] = defaultdict(float)
        for (line, code), rate in flow.items():
            totals[line] += rate
            if hop >= scenario.linkage.max_hops:
                continue
            owner = taxonomy.get(code).owner
            right = scenario.linkage.accuracy.get(line, default)
            wrong = [ln for ln in served if ln != owner]
            perceived = {owner: right}
            for ln in wrong:
                perceived[ln] = perceived.get(ln, 0.0) + (1 - right) / len(wrong)
            for target, p in perceived.items():
                if target != line and p > 0:
                    nxt[target, code] += rate * p
        flow = nxt
    return {centres[line][0]: rate for line, rate in totals.items()}


def jackson_values(scenario: Scenario) -> dict[str, float]:
    """``{"REGION/LINE:p_wait": ..., "REGION/LINE:mean_wait": ...}`` from Erlang C per centre."""
    centres = {key: (line, seats) for line, (key, _, seats) in _centres(scenario).items()}
    out: dict[str, float] = {}
    for key, rate in total_rates(scenario).items():
        line, seats = centres[key]
        c = erlang.erlang_c(seats, rate, scenario.lines[line].talk.mean)
        _require(c.stable, scenario, f"centres.{key}.seats",
                 f"more seats than the offered load {c.offered:.3g} Erl")
        out[f"{key}:p_wait"] = c.p_wait
        out[f"{key}:mean_wait"] = c.mean_wait
    return out
