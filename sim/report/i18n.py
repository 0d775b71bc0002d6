"""Labels of plots and reports in English and Chinese (``t(key, lang)``)."""

from __future__ import annotations

LINE_NAMES = {
    "12345": ("government service", "政务服务"), "110": ("police", "报警"),
    "119": ("fire", "火警"), "120": ("ambulance", "急救"), "122": ("traffic", "交通"),
}

LABELS: dict[str, tuple[str, str]] = {
    "offered": ("offered", "呼入"), "answered": ("answered", "接通"),
    "abandoned": ("abandoned", "放弃"), "blocked": ("blocked", "忙音"),
    "calls_per_hour": ("calls per hour", "每小时话务量"),
    "hours": ("hours from start", "自开始的小时"), "local_time": ("local time", "当地时间"), "service_level": ("service level", "服务水平"),
    "target": ("target", "目标"), "queue": ("callers waiting", "排队人数"),
    "seats": ("seats", "坐席"), "own_seats": ("own seats", "本地坐席"),
    "borrowed_seats": ("borrowed seats", "借调坐席"), "busy_seats": ("busy seats", "忙碌坐席"),
    "region": ("region", "地区"), "hour": ("hour", "小时"),
    "transfers": ("transfers line → line", "跨线转接"), "from_line": ("from", "转出"),
    "to_line": ("to", "转入"), "on_time": ("work-order on-time rate", "工单按时办结率"),
    "orders": ("orders", "工单"), "line": ("line", "热线"), "centre": ("centre", "话务中心"),
    "sl_heatmap": ("service level by region and hour", "各地区逐小时服务水平"),
    "volume": ("calls over time", "话务量"), "sl_time": ("service level over time", "服务水平"),
    "queue_seats": ("queue and seats", "排队与坐席"), "required": ("required", "所需"),
    "current": ("current", "现有"), "all": ("all", "全部"),
    "ix_sl": ("Service level at target, per hour", "每小时目标服务水平"),
    "ix_volume": ("Calls offered per hour", "每小时呼入量"),
    "ix_seats": ("Seats on duty and callers waiting (hourly means)",
                 "在岗坐席与排队人数（小时均值）"),
    "ix_map": ("Regions by service level at target (schematic tile map; hover for the worst "
               "hour, click to select)", "各地区目标服务水平（示意图；悬停查看最差时段，点击选择）"),
    "all_lines": ("all lines", "全部热线"), "worst_hour": ("worst hour", "最差时段"),
    "below_target": ("centres below target", "未达标中心"), "none": ("none", "无"),
    "sl_at_target": ("service level at target", "目标服务水平"),
    "few_calls": ("no hour with enough calls", "无足够话务的时段"),
}


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (``en`` or ``zh``)."""
    en, zh = LABELS[key]
    return zh if lang == "zh" else en


def line_label(line: str, lang: str) -> str:
    """A line with its name, e.g. ``110 police`` or ``110 报警``."""
    names = LINE_NAMES.get(line)
    if not names:
        return line
    return f"{line} {names[1] if lang == 'zh' else names[0]}"


def region_label(code: str, lang: str) -> str:
    """A region code with its name from the region table, when known."""
    try:
        from sim.domain.regions import load_regions

        region = load_regions().get(code)
    except (KeyError, OSError, ValueError):
        return code
    return f"{region.zh if lang == 'zh' else region.en}"
