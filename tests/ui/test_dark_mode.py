"""The app follows the system's dark scheme; badges, banners and the Gantt stay readable in both."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from drs_console.domain.status import ExecutionStatus as S
from drs_console.ui import theme
from drs_console.ui.widgets.timeline import WaveTimeline
from tests.ui.execution_fakes import T0, view, wave


def contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def dark(qapp, monkeypatch):
    light = qapp.palette()
    monkeypatch.setattr(theme, "system_is_dark", lambda: True)
    assert theme.apply_color_scheme(qapp) is True
    yield qapp
    theme.apply_color_scheme(qapp, dark=False)
    qapp.setPalette(light)
    assert not theme.is_dark()


def test_a_dark_system_scheme_gives_a_dark_palette(dark):
    pal = dark.palette()
    assert pal.window().color().lightness() < 60 and pal.base().color().lightness() < 60
    assert contrast(pal.text().color(), pal.base().color()) > 7
    assert contrast(pal.windowText().color(), pal.window().color()) > 7
    bg, _border, ink = theme.banner_colors(theme.AMBER)
    assert contrast(QColor(ink), QColor(bg)) > 7  # notices are not light text on a pale background


def test_the_light_scheme_keeps_the_light_palette(qapp, monkeypatch):
    monkeypatch.setattr(theme, "system_is_dark", lambda: False)
    assert theme.apply_color_scheme(qapp) is False
    bg, _border, ink = theme.banner_colors(theme.AMBER)
    assert contrast(QColor(ink), QColor(bg)) > 7


@pytest.mark.parametrize("status", sorted(set(theme.STATUS_COLORS) | set(theme.REPLICATION_COLORS)))
def test_every_badge_text_contrasts_with_its_color(status):
    bg = theme.color_for(status)
    assert contrast(theme.text_color_on(bg), bg) >= 3.0, status  # WCAG large/bold text


def test_the_gantt_paints_on_the_dark_base_with_light_labels(dark, qtbot):
    timeline = WaveTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(400, 120)
    timeline.set_view(view("e", S.RUNNING, waves=(wave(0, S.COMPLETED, start=T0, end=T0.replace(minute=59)),
                                                  wave(1, None))), now=T0.replace(hour=3))
    image = timeline.grab().toImage()
    assert image.pixelColor(2, 2).lightness() < 60  # the background is the dark base
    labels = [image.pixelColor(x, y) for x in range(8, 110) for y in range(30, 80)]
    assert max(c.lightness() for c in labels) > 180  # wave names are drawn light on dark
