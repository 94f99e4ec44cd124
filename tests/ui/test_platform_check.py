"""Before Qt aborts on a Linux desktop without some xcb libraries, the app names them in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from drs_console.ui import app, platform_check

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /site-packages/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f1)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f2)
"""


def test_missing_xcb_libraries_are_named_with_the_apt_command(monkeypatch):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    line = platform_check.platform_problem(
        {"QT_QPA_PLATFORM": "xcb"}, plugin=Path("/x/libqxcb.so"), ldd=lambda _p: LDD
    )
    assert "\n" not in line
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1, libxkbcommon-x11.so.0" in line
    assert line.endswith(
        "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0"
    )


@pytest.mark.parametrize(
    "env, checked",
    [({"QT_QPA_PLATFORM": "offscreen"}, False), ({"QT_QPA_PLATFORM": "xcb"}, True), ({}, True),
     ({"WAYLAND_DISPLAY": "wayland-0"}, False), ({"QT_QPA_PLATFORM": "wayland;xcb"}, False)],
)
def test_only_the_xcb_platform_is_checked(monkeypatch, env, checked):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    problem = platform_check.platform_problem(env, plugin=Path("/x/libqxcb.so"), ldd=lambda _p: LDD)
    assert bool(problem) is checked
    ok = platform_check.platform_problem(env, plugin=Path("/x"), ldd=lambda _p: LDD.replace("not found", "/lib/x"))
    assert ok == ""


def test_the_desktop_exits_2_with_one_line_before_creating_qt(monkeypatch, capsys):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(platform_check, "xcb_plugin", lambda: Path("/x/libqxcb.so"))
    monkeypatch.setattr(platform_check, "run_ldd", lambda _p: LDD)

    def no_qt(*_a, **_k):
        raise AssertionError("the QApplication must not be created")

    monkeypatch.setattr(app, "QApplication", no_qt)
    monkeypatch.setattr("drs_console.logsetup.configure_logging", no_qt)  # run_gui imports it after the first paint
    from drs_console.cli.main import build_parser

    assert app.run_gui(build_parser().parse_args([])) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "libxcb-icccm4" in err[0]
