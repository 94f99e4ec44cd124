"""Colors for status badges and the account banner: one place, used by every page."""

from __future__ import annotations

from PySide6.QtGui import QColor

GREEN = QColor("#1e8e3e")
BLUE = QColor("#1a73e8")
AMBER = QColor("#e37400")
RED = QColor("#d93025")
GREY = QColor("#80868b")
PURPLE = QColor("#8430ce")

REPLICATION_COLORS = {
    "CONTINUOUS": GREEN,
    "INITIATING": BLUE,
    "INITIAL_SYNC": BLUE,
    "BACKLOG": AMBER,
    "CREATING_SNAPSHOT": BLUE,
    "RESCAN": BLUE,
    "STALLED": RED,
    "DISCONNECTED": RED,
    "STOPPED": GREY,
    "PAUSED": GREY,
    "UNKNOWN": GREY,
}

STATUS_COLORS = {
    "PASS": GREEN,
    "WARN": AMBER,
    "FAIL": RED,
    "BLOCK": RED,
    "COMPLETED": GREEN,
    "LAUNCHED": GREEN,
    "SUCCEEDED": GREEN,
    "PARTIAL": AMBER,
    "FAILED": RED,
    "TIMEOUT": RED,
    "CANCELLED": GREY,
    "CANCELLING": AMBER,
    "PAUSED": PURPLE,
    "PENDING": GREY,
    "NOT_STARTED": GREY,
    # plan readiness (domain/readiness.py)
    "READY": GREEN,
    "AT RISK": AMBER,
    "NOT READY": RED,
}


def color_for(value: str) -> QColor:
    if value in REPLICATION_COLORS:
        return REPLICATION_COLORS[value]
    return STATUS_COLORS.get(value, BLUE)


def text_color_on(background: QColor) -> QColor:
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor("#202124") if luminance > 160 else QColor("#ffffff")


# -- light and dark -----------------------------------------------------------------------------
# The app follows the system's color scheme (Qt 6.5+: QStyleHints.colorScheme()). Where the
# platform's style does not darken itself (Fusion on Linux, the classic Windows style), a dark
# palette is applied; badges keep their own colors (with text chosen for contrast) in both.

def system_is_dark() -> bool:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    return scheme == Qt.ColorScheme.Dark


def palette_is_dark(palette) -> bool:
    return palette.window().color().lightness() < 128


def dark_palette():
    from PySide6.QtGui import QPalette

    p = QPalette()
    window, base, alt, text = QColor("#202124"), QColor("#1b1b1d"), QColor("#26272a"), QColor("#e8eaed")
    dim = QColor("#9aa0a6")
    for role, color in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, alt),
        (QPalette.ColorRole.ToolTipBase, QColor("#303134")), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, dim), (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor("#2d2e31")), (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor("#ff8a80")), (QPalette.ColorRole.Highlight, QColor("#1a73e8")),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")), (QPalette.ColorRole.Link, QColor("#8ab4f8")),
        (QPalette.ColorRole.Light, QColor("#3c4043")), (QPalette.ColorRole.Midlight, QColor("#34363a")),
        (QPalette.ColorRole.Mid, QColor("#5f6368")), (QPalette.ColorRole.Dark, QColor("#111214")),
        (QPalette.ColorRole.Shadow, QColor("#000000")),
    ):
        p.setColor(role, color)
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(disabled, role, QColor("#6f7378"))
    return p


def apply_color_scheme(app, *, dark: bool | None = None) -> bool:
    """Light or dark as the system says (or ``dark``); returns whether the app is now dark.

    Follows later changes of the system's scheme too (colorSchemeChanged)."""
    from PySide6.QtWidgets import QStyleFactory

    want_dark = system_is_dark() if dark is None else dark
    if want_dark and not palette_is_dark(app.palette()):
        if app.style().name().lower() not in ("fusion", "windows11", "macos"):
            app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(dark_palette())
    elif not want_dark and palette_is_dark(app.palette()) and _scheme["dark_applied"]:
        app.setPalette(app.style().standardPalette())
    _scheme["dark_applied"] = want_dark and palette_is_dark(app.palette())
    hints = app.styleHints()
    if dark is None and hasattr(hints, "colorSchemeChanged") and not _scheme["follows"]:
        hints.colorSchemeChanged.connect(lambda _s: apply_color_scheme(app))
        _scheme["follows"] = True
    return palette_is_dark(app.palette())


_scheme = {"dark_applied": False, "follows": False}


def is_dark() -> bool:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return bool(app is not None and palette_is_dark(app.palette()))


def readable_on_base(color: QColor) -> QColor:
    """A status color for text on the window's background: lightened in dark mode."""
    return color.lighter(160) if is_dark() else color


def banner_colors(color: QColor) -> tuple[str, str, str]:
    """(background, border, text) of a notice banner tinted with ``color``, readable light or dark."""
    if is_dark():
        bg = QColor(color)
        bg.setAlpha(255)
        bg = QColor.fromHsl(bg.hslHue(), min(255, bg.hslSaturation()), 40)
        return bg.name(), color.name(), "#e8eaed"
    bg = QColor.fromHsl(color.hslHue(), min(255, color.hslSaturation()), 238)
    return bg.name(), color.name(), "#202124"


def banner_css(color: str) -> str:
    """The style sheet of a notice label tinted with ``color`` (light or dark as the app is)."""
    bg, border, ink = banner_colors(QColor(color))
    return f"background: {bg}; color: {ink}; padding: 6px; border: 1px solid {border};"
