"""Build the frozen DRS Console and, with --installer, this platform's installer.

    python3 packaging/build.py [--dist DIR] [--work DIR] [--clean] [--installer]
    python3 packaging/build.py --print-executable [--dist DIR]

* the bundle: PyInstaller with packaging/drs-console.spec into DIST (default build/dist; the work
  folder defaults to build/pyinstaller - both are ignored by git);
* --installer, per platform, into DIST/installers/:
  - Linux:   drs-console-VERSION-linux-ARCH.tar.gz (the bundle, a .desktop file, the icon and
             install.sh for a per-user install);
  - macOS:   DRS-Console-VERSION-macos-ARCH.dmg; signed and notarized when the env vars of
             packaging/macos/sign-and-notarize.sh are set (MACOS_SIGN_IDENTITY, ...);
  - Windows: drs-console-VERSION-windows-x64-setup.exe with Inno Setup 6 (ISCC.exe on PATH or in
             its default folder; or set ISCC=path).
* --print-executable prints the frozen executable to run from a terminal (on Windows the console
  one, drs-console-cli.exe) and exits.

The version comes from the installed package metadata (`pip install -e .` first).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from importlib.metadata import version as dist_version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "drs-console.spec"
APP = "drs-console"
BUNDLE_APP = "DRS Console.app"


def bundle_dir(dist: Path) -> Path:
    """The folder that holds the whole frozen app (on macOS the .app bundle)."""
    if sys.platform == "darwin":
        return dist / BUNDLE_APP
    return dist / APP


def executable(dist: Path) -> Path:
    """The frozen executable to run from a terminal (stdout/stderr work)."""
    if sys.platform == "win32":
        return dist / APP / f"{APP}-cli.exe"
    if sys.platform == "darwin":
        return dist / BUNDLE_APP / "Contents" / "MacOS" / APP
    return dist / APP / APP


def arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)


def run_pyinstaller(dist: Path, work: Path, *, clean: bool = False) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
    ]
    if clean:
        cmd.append("--clean")
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    exe = executable(dist)
    if not exe.is_file():
        raise SystemExit(f"build.py: PyInstaller finished but {exe} is missing")
    print(f"build.py: bundle {bundle_dir(dist)} in {time.perf_counter() - start:.0f} s")
    return exe


# -- installers -------------------------------------------------------------------------------------
def linux_tarball(dist: Path, out: Path, ver: str) -> Path:
    name = f"{APP}-{ver}-linux-{arch()}"
    target = out / f"{name}.tar.gz"
    linux = PACKAGING / "linux"
    extra = [
        (linux / "drs-console.desktop", "drs-console.desktop"),
        (linux / "install.sh", "install.sh"),
        (ROOT / "resources" / "icons" / "drs-console.png", "drs-console.png"),
    ]

    def _owner_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle_dir(dist), arcname=f"{name}/{APP}", filter=_owner_root)
        for src, arcname in extra:
            tar.add(src, arcname=f"{name}/{arcname}", filter=_owner_root)
    return target


def macos_dmg(dist: Path, out: Path, ver: str) -> Path:
    app = bundle_dir(dist)
    macos = PACKAGING / "macos"
    if os.environ.get("MACOS_SIGN_IDENTITY"):
        subprocess.run(["bash", str(macos / "sign-and-notarize.sh"), "sign-app", str(app)], check=True)
    target = out / f"DRS-Console-{ver}-macos-{arch()}.dmg"
    subprocess.run(["bash", str(macos / "make-dmg.sh"), str(app), str(target)], check=True)
    if os.environ.get("MACOS_SIGN_IDENTITY"):
        subprocess.run(["bash", str(macos / "sign-and-notarize.sh"), "sign-dmg", str(target)], check=True)
        if os.environ.get("APPLE_ID") or os.environ.get("NOTARY_KEYCHAIN_PROFILE"):
            subprocess.run(["bash", str(macos / "sign-and-notarize.sh"), "notarize", str(target)], check=True)
    return target


def find_iscc() -> str:
    candidates = [os.environ.get("ISCC"), shutil.which("iscc"), shutil.which("ISCC")]
    for base in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
        if base:
            candidates.append(str(Path(base) / "Inno Setup 6" / "ISCC.exe"))
    for c in candidates:
        if c and Path(c).is_file():
            return c
    raise SystemExit(
        "build.py: Inno Setup 6 not found (install it, e.g. `choco install innosetup`, or set ISCC)"
    )


def windows_setup(dist: Path, out: Path, ver: str) -> Path:
    cmd = [
        find_iscc(),
        f"/DAppVersion={ver}",
        f"/DSourceDir={bundle_dir(dist)}",
        f"/DOutputDir={out}",
        f"/DRepoRoot={ROOT}",
        str(PACKAGING / "windows" / "drs-console.iss"),
    ]
    subprocess.run(cmd, check=True)
    return out / f"{APP}-{ver}-windows-x64-setup.exe"


def make_installer(dist: Path) -> Path:
    ver = dist_version("drs-console")
    out = dist / "installers"
    out.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        target = windows_setup(dist, out, ver)
    elif sys.platform == "darwin":
        target = macos_dmg(dist, out, ver)
    else:
        target = linux_tarball(dist, out, ver)
    print(f"build.py: installer {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dist", type=Path, default=ROOT / "build" / "dist")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    p.add_argument("--clean", action="store_true", help="clear PyInstaller's cache first")
    p.add_argument("--installer", action="store_true", help="also make this platform's installer")
    p.add_argument("--no-build", action="store_true", help="reuse the bundle in --dist (with --installer)")
    p.add_argument("--print-executable", action="store_true", help="print the frozen executable and exit")
    args = p.parse_args(argv)
    dist = args.dist.resolve()
    if args.print_executable:
        print(executable(dist))
        return 0
    if not args.no_build:
        run_pyinstaller(dist, args.work.resolve(), clean=args.clean)
    print(f"build.py: executable {executable(dist)}")
    if args.installer:
        make_installer(dist)
    return 0


if __name__ == "__main__":
    sys.exit(main())
