"""The targets of issue-level figures, and how a measured value compares with one."""

from __future__ import annotations

# name: (comparison, value, unit); ratios without an entry are reported as figures only (b/d,
# python-evtx, is a plain ratio: the two engines do different work, so it has no target).
TARGETS = {
    "b/a": (">=", 0.5, ""),
    "c/a": (">=", 0.9, ""),
    "f/e": (">=", 0.6, ""),
    "g/a": (">=", 0.6, ""),
    "g/e": (">=", 0.6, ""),
    "rss": ("<=", 150.0, "MB"),
    "lookup": ("<=", 120.0, "ms"),
}


def verdict(name: str, value: float) -> str:
    """'met' or how far short, in the target's terms ('' when there is no target)."""
    if name not in TARGETS:
        return ""
    op, target, unit = TARGETS[name]
    if (value >= target) if op == ">=" else (value <= target):
        return "met"
    if op == ">=":
        return f"short: {target / value:.2f}x too slow" if value > 0 else "short"
    return f"short: {value - target:.0f} {unit} over"
