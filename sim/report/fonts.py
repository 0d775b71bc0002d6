"""CJK font detection for Chinese plot labels.

Chinese labels need a font with CJK glyphs. On Debian, ``apt-get install fonts-wqy-microhei``
(about 4 MB) provides one; Noto Sans CJK (``fonts-noto-cjk``) works too. Without one,
``resolve_lang("zh")`` falls back to English so that plots never show empty boxes.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

# Families known to carry CJK glyphs, preferred first.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
    "Source Han Sans SC", "Source Han Sans CN", "Noto Serif CJK SC", "SimHei",
    "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN", "AR PL UKai CN",
)
_FILE_HINTS = ("wqy", "cjk", "sourcehan", "simhei", "msyh", "pingfang", "uming", "ukai")
LANGS = ("en", "zh")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None.

    Looks in matplotlib's font list first, then registers matching system font files (the
    matplotlib cache may predate the font's installation).
    """
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    for path in font_manager.findSystemFonts():
        if any(h in path.lower().replace("-", "").replace("_", "") for h in _FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FAMILIES if f in names), None)


def resolve_lang(lang: str) -> str:
    """The language plots and reports can use: ``zh`` only when a CJK font is installed."""
    if lang not in LANGS:
        from sim.domain.errors import InputError

        raise InputError(f"expected one of {', '.join(LANGS)}, got {lang!r}", key="--lang")
    if lang == "zh" and cjk_font() is None:
        warnings.warn("no CJK font found (install one, e.g. `apt-get install fonts-wqy-microhei`); "
                      "using English labels", stacklevel=2)
        return "en"
    return lang


def configure_matplotlib(lang: str) -> None:
    """Agg backend; with ``zh``, the CJK font first in the sans-serif list."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rcParams

    rcParams["svg.hashsalt"] = "hotline-sim"  # stable SVG ids: equal runs give equal files
    rcParams["axes.unicode_minus"] = False
    family = cjk_font() if lang == "zh" else None
    base = [f for f in rcParams["font.sans-serif"] if f not in CJK_FAMILIES]
    rcParams["font.sans-serif"] = ([family] if family else []) + base
    rcParams["font.family"] = "sans-serif"
