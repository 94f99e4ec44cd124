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
}


def color_for(value: str) -> QColor:
    if value in REPLICATION_COLORS:
        return REPLICATION_COLORS[value]
    return STATUS_COLORS.get(value, BLUE)


def text_color_on(background: QColor) -> QColor:
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor("#202124") if luminance > 160 else QColor("#ffffff")
