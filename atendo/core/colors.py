"""Colours that stay readable: text on a coloured background with at least WCAG AA contrast.

A therapy type's colour is the practice's choice (white on its teal #2f9e8f is 3.27:1, below the
4.5:1 WCAG 2.x AA asks of normal text). The text on it is white when white reaches 4.5:1, and
black otherwise: for any background one of the two does (black and white are the extremes of
luminance, and their ratios against a colour multiply to 21, so the better one is at least
√21 ≈ 4.58:1).
"""

from __future__ import annotations

import re
from functools import lru_cache

AA_NORMAL_TEXT = 4.5
WHITE = "#ffffff"
BLACK = "#000000"
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def parse_hex(color: str) -> tuple[int, int, int]:
    """'#2f9e8f' or '#abc' -> (r, g, b) in 0..255; ValueError otherwise."""
    match = _HEX.fullmatch(color.strip())
    if match is None:
        raise ValueError(f"Not a hex colour: {color!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 black … 1 white)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = parse_hex(color)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, 1 … 21."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


@lru_cache(maxsize=1024)
def text_color_for(background: str) -> str:
    """White when it reaches AA on `background`, else black (which then does); an unreadable
    colour value gets black (the calendar's default background is light)."""
    try:
        if contrast_ratio(WHITE, background) >= AA_NORMAL_TEXT:
            return WHITE
    except ValueError:
        return BLACK
    return BLACK
