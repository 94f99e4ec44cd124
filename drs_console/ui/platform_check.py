"""Before the QApplication exists: can Qt's xcb platform plugin load on this Linux desktop?

Without some xcb libraries Qt aborts the process (a core dump) with a message that names only
xcb-cursor0. This check runs ``ldd`` on the plugin first and names every missing library and the
command that installs them, in one line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# Libraries whose Debian/Ubuntu package name does not follow the soname rule below.
_PACKAGES = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
}


def package_for(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library: libxcb-icccm.so.4 -> libxcb-icccm4."""
    if soname in _PACKAGES:
        return _PACKAGES[soname]
    match = re.fullmatch(r"(lib[\w.+-]+?)\.so\.(\d+)(?:\..*)?", soname)
    if not match:
        return soname
    name, major = match.group(1).lower(), match.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    path = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.exists() else None


def run_ldd(path: Path) -> str:
    """ldd's output for ``path``; '' when ldd is not there or fails (then nothing is checked)."""
    try:
        proc = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ldd reports as 'not found', once each, in order."""
    missing: list[str] = []
    for line in ldd_output.splitlines():
        name, sep, rest = line.strip().partition("=>")
        if sep and rest.strip().startswith("not found") and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def uses_xcb(env: Mapping[str, str]) -> bool:
    """Whether Qt will load the xcb plugin: on Linux, by QT_QPA_PLATFORM or by default on X11."""
    if not sys.platform.startswith("linux"):
        return False
    platform = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if platform:
        return platform == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def platform_problem(
    env: Mapping[str, str] | None = None,
    *,
    plugin: Path | None = None,
    ldd: Callable[[Path], str] | None = None,
) -> str:
    """'' when the platform plugin can load (or is not xcb); else one line saying what to install."""
    env = os.environ if env is None else env
    if not uses_xcb(env):
        return ""
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return ""
    missing = missing_libraries((ldd or run_ldd)(plugin))
    if not missing:
        return ""
    packages = " ".join(dict.fromkeys(package_for(name) for name in missing))
    return (
        "drs-console: the desktop cannot start: Qt's xcb platform plugin needs libraries that are"
        f" not installed ({', '.join(missing)}); install them with: sudo apt-get install {packages}"
    )


def refuse_if_platform_cannot_load() -> int:
    """Print the one-line problem and return exit code 2, or 0 when the desktop can start."""
    problem = platform_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    return 0
