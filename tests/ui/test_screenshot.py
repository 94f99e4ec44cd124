"""`drs-console --screenshot`: renders a page to a PNG after its data has loaded, then exits."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage


def run(args, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "drs_console", *args], capture_output=True, text=True, timeout=180, env=env
    )


def test_inventory_page_screenshot_shows_loaded_data(tmp_path):
    out = tmp_path / "inventory.png"
    proc = run(["--sandbox", "--screenshot", str(out), "--page", "inventory"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    # the replication badges are painted: a loaded table has many green CONTINUOUS pixels
    green = sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
        if (c := image.pixelColor(x, y)).green() > 120 and c.red() < 60 and c.blue() < 90
    )
    assert green > 200


def test_main_window_screenshot_without_sandbox(tmp_path):
    out = tmp_path / "main.png"
    proc = run(["--screenshot", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not QImage(str(out)).isNull()


def test_unknown_page_is_bad_usage(tmp_path):
    proc = run(["--sandbox", "--screenshot", str(tmp_path / "x.png"), "--page", "nope"], tmp_path)
    assert proc.returncode == 2
    assert "unknown page 'nope'" in proc.stderr and "inventory" in proc.stderr
