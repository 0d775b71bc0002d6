"""Printed tables of the linkage: the line → line flow matrix and the order KPIs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sim.domain.lines import LINES
from sim.results.document import KpiDocument, as_document, means


def format_flows(doc: KpiDocument | Mapping) -> str:
    """Voice transfers and system dispatches between lines (means over replications)."""
    flows = as_document(doc).sections.get("flows")
    if not flows:
        return ""
    f = means(flows)
    matrix: dict[tuple[str, str], float] = defaultdict(float)
    for name, mean in f.items():
        kind, _, rest = name.partition(":")
        if kind in ("transfer", "dispatch") and mean:
            pair = rest.split(":")[0]
            src, dst = pair.split(">")
            matrix[(src, dst)] += mean
    sources = sorted({s for s, _ in matrix}, key=_line_order)
    targets = sorted({d for _, d in matrix}, key=_line_order)
    head = f"{'from/to 转出→转入':<18}" + "".join(f"{t:>9}" for t in targets)
    out = ["Transfers and dispatches between lines (one-key + three-way + system dispatch), "
           "mean per replication:", head]
    for s in sources:
        out.append(f"{s:<18}" + "".join(f"{matrix.get((s, t), 0):>9.0f}" for t in targets))
    out.append(f"bounced transfers 误转: {f.get('bounced', 0):.0f} of {f.get('transfers', 0):.0f}"
               f" transfers; mean wait at the receiving centre {f.get('answer_wait_transferred') or 0:.1f} s;"
               f" first-contact resolution {100 * (f.get('fcr') or 0):.1f}%")
    return "\n".join(out)


def format_orders(doc: KpiDocument | Mapping) -> str:
    """Order KPIs by kind: created, sign-off, on-time, reopened, satisfaction."""
    orders = as_document(doc).sections.get("orders")
    if not orders:
        return ""
    out = [f"{'orders 工单/警单':<22}{'created':>9}{'sign h':>8}{'on time':>9}{'reopened':>10}"
           f"{'satisfied':>10}{'open':>6}"]
    for kind in ("work_order", "police_order", "all"):
        if f"{kind}:created" not in orders:
            continue
        g = {k.split(":")[1]: v for k, v in means(orders).items() if k.startswith(f"{kind}:")}
        out.append(f"{kind:<22}{g['created']:>9.0f}{_n(g['sign_hours'], '{:.2f}'):>8}"
                   f"{_n(g['on_time_rate'], '{:.1%}'):>9}{_n(g['reopen_rate'], '{:.1%}'):>10}"
                   f"{_n(g['satisfaction'], '{:.2f}'):>10}{g['open']:>6.0f}")
    return "\n".join(out)


def _n(value, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def _line_order(line: str) -> tuple[int, str]:
    order = list(LINES)
    return (order.index(line) if line in order else len(order), line)
