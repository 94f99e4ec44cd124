"""Draw the app icon with Qt and write it as PNG, ICO (Windows) and ICNS (macOS).

    QT_QPA_PLATFORM=offscreen python3 packaging/make_icons.py [OUTDIR]

OUTDIR defaults to resources/icons. The files are committed; run this again only to change the
design. Qt writes ICO with its bundled `qico` plugin and ICNS with `qicns` (qtimageformats); where a
format's plugin is missing the file is skipped with a note, and PyInstaller can still convert the
PNG itself when Pillow is installed (`pip install pillow`), or on macOS:
`iconutil`/`sips` (see packaging/README.md).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QImageWriter,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

NAME = "drs-console"


def draw(size: int) -> QImage:
    """A rounded square in DR blue with a circular 'recovery' arrow around a stack of servers."""
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256.0
    p.scale(s, s)

    grad = QLinearGradient(QPointF(0, 0), QPointF(0, 256))
    grad.setColorAt(0.0, QColor("#2563eb"))
    grad.setColorAt(1.0, QColor("#1e3a8a"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(grad))
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 48, 48)

    # recovery arrow: an open circle with an arrow head
    pen = QPen(QColor("#f97316"), 16, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    arc = QRectF(40, 40, 176, 176)
    p.drawArc(arc, 120 * 16, 300 * 16)  # open at the top
    # the head at the arc's end (60 degrees), pointing on counter-clockwise into the gap
    end = QPointF(128 + 88 * math.cos(math.radians(60)), 128 - 88 * math.sin(math.radians(60)))
    d = QPointF(-math.sin(math.radians(60)), -math.cos(math.radians(60)))
    n = QPointF(-d.y(), d.x())
    head = QPainterPath()
    head.moveTo(end + d * 26)
    head.lineTo(end - d * 4 + n * 20)
    head.lineTo(end - d * 4 - n * 20)
    head.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#f97316"))
    p.drawPath(head)

    # three servers
    for i in range(3):
        y = 88 + i * 30
        p.setBrush(QColor("#f8fafc"))
        p.drawRoundedRect(QRectF(84, y, 88, 24), 5, 5)
        p.setBrush(QColor("#22c55e"))
        p.drawEllipse(QRectF(150, y + 7, 10, 10))
        p.setBrush(QColor("#94a3b8"))
        p.drawRect(QRectF(94, y + 10, 40, 4))

    p.end()
    return img


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "resources" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication(argv[:1])
    written = []
    big = draw(512)
    targets = [(out / f"{NAME}.png", "PNG", draw(256)), (out / f"{NAME}-512.png", "PNG", big)]
    supported = {bytes(f).decode() for f in QImageWriter.supportedImageFormats()}
    if "ico" in supported:
        targets.append((out / f"{NAME}.ico", "ICO", draw(256)))
    else:
        print("note: Qt has no ICO writer here; skipped the .ico", file=sys.stderr)
    if "icns" in supported:
        targets.append((out / f"{NAME}.icns", "ICNS", big))
    else:
        print("note: Qt has no ICNS writer here; skipped the .icns", file=sys.stderr)
    for path, fmt, image in targets:
        if not image.save(str(path), fmt):
            print(f"error: could not write {path}", file=sys.stderr)
            return 1
        written.append(path)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
