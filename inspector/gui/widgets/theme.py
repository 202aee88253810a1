"""Shared colours and fonts for the inspector's widgets, for light and dark palettes.

Every colour is derived from the application palette (and the platform's colour
scheme when it reports one), so tints stay readable on both a white and a near-black
base. Widgets call :func:`current` when they paint or build cached brushes; the
result is cached per palette and rebuilt when the palette changes.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette

__all__ = [
    "Theme",
    "blend",
    "current",
    "is_dark",
    "monospace_font",
]


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the application (or ``palette``) is dark: the platform's colour
    scheme when it says so, else the lightness of the window background."""
    if palette is None:
        hints = QGuiApplication.styleHints()
        scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
        if scheme == Qt.ColorScheme.Dark:
            return True
        if scheme == Qt.ColorScheme.Light:
            return False
        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a fraction ``t`` (0..1) of the way towards ``b``; alpha kept opaque."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


class Theme(NamedTuple):
    """The colours the timeline and detail pane use; all opaque ``QColor``s."""

    dark: bool
    base: QColor
    text: QColor
    muted: QColor  # secondary text: rulers, offsets, hints
    outgoing: QColor  # arrow / accent for frames we sent
    incoming: QColor  # arrow / accent for frames we received
    outgoing_tint: QColor  # faint row background for sent frames
    incoming_tint: QColor
    violation: QColor  # text / outline of something that breaks a rule
    violation_tint: QColor  # row / cell background of a violation
    fragment: QColor  # the bracket that groups a message's frames
    control: QColor  # control frames' opcode text
    grid: QColor  # box outlines in the header figure
    field_fill: QColor  # header figure field background
    bit_one: QColor  # a set bit
    json_key: QColor
    json_string: QColor
    json_number: QColor
    json_keyword: QColor


_cache: dict[int, Theme] = {}


def current(palette: QPalette | None = None) -> Theme:
    """The theme for ``palette`` (default: the application's); cached per palette."""
    pal = palette if palette is not None else QGuiApplication.palette()
    dark = is_dark(pal) if palette is not None else is_dark()
    key = pal.cacheKey() * 2 + int(dark)
    theme = _cache.get(key)
    if theme is None:
        if len(_cache) > 16:
            _cache.clear()
        theme = _cache[key] = _build(pal, dark)
    return theme


def _build(pal: QPalette, dark: bool) -> Theme:
    base = pal.color(QPalette.ColorRole.Base)
    text = pal.color(QPalette.ColorRole.Text)
    if dark:
        outgoing = QColor(0x6C, 0xB6, 0xFF)  # light blue
        incoming = QColor(0x7F, 0xD8, 0x8F)  # light green
        violation = QColor(0xFF, 0x6B, 0x6B)
        fragment = QColor(0xC7, 0x9B, 0xFF)
        control = QColor(0xE0, 0xB0, 0x60)
        json = (QColor(0x9C, 0xDC, 0xFE), QColor(0xCE, 0x91, 0x78), QColor(0xB5, 0xCE, 0xA8))
        keyword = QColor(0x56, 0x9C, 0xD6)
        tint = 0.16
        vtint = 0.30
    else:
        outgoing = QColor(0x0B, 0x5C, 0xC4)  # blue
        incoming = QColor(0x1B, 0x7F, 0x37)  # green
        violation = QColor(0xC6, 0x28, 0x28)
        fragment = QColor(0x7B, 0x3F, 0xC4)
        control = QColor(0x9A, 0x5B, 0x00)
        json = (QColor(0x00, 0x45, 0x9E), QColor(0xA3, 0x15, 0x15), QColor(0x09, 0x86, 0x58))
        keyword = QColor(0x00, 0x00, 0xFF)
        tint = 0.07
        vtint = 0.16
    return Theme(
        dark=dark,
        base=base,
        text=text,
        muted=blend(text, base, 0.45),
        outgoing=outgoing,
        incoming=incoming,
        outgoing_tint=blend(base, outgoing, tint),
        incoming_tint=blend(base, incoming, tint),
        violation=violation,
        violation_tint=blend(base, violation, vtint),
        fragment=fragment,
        control=control,
        grid=blend(text, base, 0.35),
        field_fill=blend(base, text, 0.04),
        bit_one=text,
        json_key=json[0],
        json_string=json[1],
        json_number=json[2],
        json_keyword=keyword,
    )


_mono: QFont | None = None


def monospace_font(point_delta: float = 0.0) -> QFont:
    """The system's fixed-pitch font (a copy), optionally a little larger or smaller."""
    global _mono
    if _mono is None:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setFixedPitch(True)
        _mono = font
    font = QFont(_mono)
    if point_delta and font.pointSizeF() > 0:
        font.setPointSizeF(max(6.0, font.pointSizeF() + point_delta))
    return font
