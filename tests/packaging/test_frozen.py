"""The frozen build, tested like the source: build the bundle (PyInstaller, packaging/build.py) into
a temporary folder, then run the frozen executable offscreen.

    python3 -m pip install -q pyinstaller
    QT_QPA_PLATFORM=offscreen python3 -m pytest -m packaging tests/packaging -s

With DRS_CONSOLE_FROZEN=/path/to/executable (CI, after `packaging/build.py --installer`) it tests
that build instead of making one. A missing hidden import, resource or sandbox library fails a
test here. Figures (bundle size, the sandbox's share, startup time beside the source's) are
printed, never asserted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tarfile
import time
import zlib
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
STARTUP_RUNS = 3
VERSION_RE = re.compile(r"^drs-console (\S+) \(commit (\S+), built ([^)]+)\)$")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_drs_packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("build")


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def work(tmp_path_factory):
    path = tmp_path_factory.mktemp("frozen")
    yield path
    if not os.environ.get("DRS_CONSOLE_KEEP_FROZEN"):
        shutil.rmtree(path, ignore_errors=True)  # ~250 MB of bundle and PyInstaller cache


# The source as it was right before and right after the build: others may commit or add files
# while it runs, and the frozen build must match the source it was built from.
SNAPSHOTS: list[dict] = []


def _source(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "drs_console", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"source {args}: {proc.stderr[-3000:]}"
    return proc.stdout


def _snapshot() -> None:
    modules = set()
    for path in (ROOT / "drs_console").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.add(".".join(parts))
    SNAPSHOTS.append(
        {
            "version": _source("--version").strip(),
            "pages": _source("--list-pages").split(),
            "modules": modules,
            "resources": {
                p.relative_to(ROOT).as_posix()
                for p in (ROOT / "resources").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
            },
        }
    )


def in_every_snapshot(key: str) -> set[str]:
    return set.intersection(*(snap[key] for snap in SNAPSHOTS))


@pytest.fixture(scope="module")
def frozen(work) -> Path:
    """The frozen executable: DRS_CONSOLE_FROZEN, or a fresh build into a temporary folder."""
    _snapshot()
    given = os.environ.get("DRS_CONSOLE_FROZEN")
    if given:
        exe = Path(given).resolve()
        assert exe.is_file(), f"DRS_CONSOLE_FROZEN={given} is not a file"
        return exe
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: python3 -m pip install -e '.[packaging]'")
    dist, pyi_work = work / "dist", work / "pyinstaller"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(PACKAGING / "build.py"), "--dist", str(dist), "--work", str(pyi_work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=840,
    )
    elapsed = time.perf_counter() - start
    _snapshot()
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    print(f"\nfrozen build: {elapsed:.0f} s with PyInstaller -> {build.bundle_dir(dist)}")
    return build.executable(dist)


@pytest.fixture(scope="module")
def env(work) -> dict[str, str]:
    """A clean environment: offscreen Qt, a private home, no AWS configuration, no resource override."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRS_CONSOLE_"))}
    home = work / "home"
    home.mkdir(exist_ok=True)
    return {
        **keep,
        "QT_QPA_PLATFORM": "offscreen",
        "DRS_CONSOLE_HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run_frozen(
    exe: Path, args: list[str], env, cwd: Path, timeout: float = 180
) -> subprocess.CompletedProcess:
    # cwd is outside the repository, so the frozen app cannot fall back on the source tree's files
    return subprocess.run(
        [str(exe), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def run_source(args: list[str], env, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drs_console", *args],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(proc: subprocess.CompletedProcess, what: str) -> str:
    assert proc.returncode == 0, (
        f"{what}: exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-6000:]}"
    )
    assert "Traceback" not in proc.stderr, f"{what}: traceback on stderr:\n{proc.stderr[-6000:]}"
    return proc.stdout


PACKAGING_ERRORS = re.compile(
    r"ModuleNotFoundError|ImportError|FileNotFoundError|No module named|PackageNotFoundError"
)


def ok_like_source(proc: subprocess.CompletedProcess, args: list[str], env, cwd: Path, what: str) -> str:
    """Like ok(), but a traceback that the source prints too is the app's bug, not the build's:
    reported, not failed. Import and missing-file errors always fail."""
    assert proc.returncode == 0, (
        f"{what}: exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-6000:]}"
    )
    if "Traceback" in proc.stderr:
        assert not PACKAGING_ERRORS.search(proc.stderr), f"{what}: packaging error:\n{proc.stderr[-6000:]}"
        frozen_errors = _last_error_lines(proc.stderr)
        source = run_source(args, env, cwd)
        source_errors = _last_error_lines(source.stderr)
        assert frozen_errors <= source_errors, (
            f"{what}: traceback in the frozen app that the source does not print:\n{proc.stderr[-6000:]}"
        )
        print(f"  note: {what}: the source prints the same error (an app bug): {sorted(frozen_errors)}")
    return proc.stdout


def _last_error_lines(stderr: str) -> set[str]:
    """The exception lines ("TypeError: ...") of each traceback in stderr."""
    return {
        line.strip() for line in stderr.splitlines() if re.match(r"^[A-Za-z_.]+(Error|Exception)\b.*:", line)
    }


def internal_dir(exe: Path) -> Path:
    """Where PyInstaller put the libraries and data (sys._MEIPASS)."""
    if sys.platform == "darwin":
        return exe.parents[1] / "Frameworks"
    return exe.parent / "_internal"


# -- PNG check without Qt ----------------------------------------------------------------------------
def png_info(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the pixel data); raises AssertionError if invalid."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, width, height, idat, seen_end = 8, 0, 0, b"", False
    bit_depth = color_type = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"{path}: bad CRC in {kind!r}"
        if kind == b"IHDR":
            width, height, bit_depth, color_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            seen_end = True
            break
        pos += 12 + length
    assert seen_end, f"{path}: truncated (no IEND)"
    raw = zlib.decompress(idat)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    assert bit_depth == 8, f"{path}: unexpected bit depth {bit_depth}"
    assert len(raw) == height * (1 + width * channels), f"{path}: pixel data does not match its size"
    return width, height, len(set(raw[:: max(1, len(raw) // 200_000)]))


def assert_sensible_png(path: Path, what: str) -> tuple[int, int]:
    assert path.is_file(), f"{what}: no screenshot at {path}"
    width, height, distinct = png_info(path)
    assert width >= 800 and height >= 500, f"{what}: screenshot is only {width}x{height}"
    assert path.stat().st_size > 10_000, f"{what}: screenshot is suspiciously small ({path.stat().st_size} B)"
    assert distinct > 16, f"{what}: screenshot looks blank ({distinct} distinct byte values)"
    return width, height


# -- tests ----------------------------------------------------------------------------------------
def test_version_matches_source(frozen, env, work):
    frozen_line = ok(run_frozen(frozen, ["--version"], env, work), "frozen --version").strip()
    source_lines = [snap["version"] for snap in SNAPSHOTS]
    print(f"\nfrozen: {frozen_line}\nsource: {' / '.join(dict.fromkeys(source_lines))}")
    f = VERSION_RE.match(frozen_line)
    assert f, f"frozen --version: unexpected {frozen_line!r}"
    sources = [VERSION_RE.match(line) for line in source_lines]
    assert all(sources), f"source --version: unexpected {source_lines!r}"
    assert f.group(1) != "0.0.0+unknown", "the frozen build lacks the drs-console metadata"
    assert f.group(2) != "unknown" and f.group(3) != "unknown", "the frozen build lacks _build_info.json"
    assert any(f.group(1, 2) == s.group(1, 2) for s in sources), (
        f"frozen version+commit {f.group(1, 2)} differ from the source's {[s.group(1, 2) for s in sources]}"
    )


def test_bundle_carries_resources_and_modules(frozen):
    internal = internal_dir(frozen)
    # the whole resources/ folder at the bundle root (drs_console.aws.backend looks there)
    expected = sorted(in_every_snapshot("resources"))
    missing = [rel for rel in expected if not (internal / rel).is_file()]
    assert not missing, f"resources missing from the bundle: {missing}"
    assert (internal / "resources" / "icons" / "drs-console.png").is_file()
    assert (internal / "drs_console" / "_build_info.json").is_file()
    # every drs_console module of the source is in the frozen archive (pages, CLI commands, ...)
    from PyInstaller.archive.readers import CArchiveReader

    pyz = CArchiveReader(str(frozen)).open_embedded_archive("PYZ.pyz")
    frozen_modules = set(pyz.toc)
    source_modules = in_every_snapshot("modules")
    missing = sorted(source_modules - frozen_modules)
    assert not missing, f"drs_console modules missing from the bundle: {missing}"
    for module in (
        "moto.moto_server.threaded_moto_server",
        "moto.stepfunctions.parser.api",
        "werkzeug.serving",
        "flask",
    ):
        assert module in frozen_modules, f"sandbox module {module} missing from the bundle"


def test_cli_inventory_against_sandbox(frozen, env, work):
    out = ok(run_frozen(frozen, ["--sandbox", "inventory", "--json"], env, work), "frozen inventory")
    data = json.loads(out)
    hub = [s for s in data["servers"] if s["accountId"] == data["accountId"]]  # the target accounts besides
    assert len(hub) == 60, f"expected the sandbox hub's 60 servers, got {len(hub)}"
    assert all(s["sourceServerID"].startswith("s-") for s in data["servers"])


def test_cli_backend_deploy_against_sandbox(frozen, env, work):
    """CloudFormation, Step Functions, DynamoDB and IAM in the frozen sandbox, plus resources/backend."""
    help_text = ok(run_source(["--help"], env, ROOT), "source --help")
    if not re.search(r"^\s+backend\s", help_text, re.M):
        pytest.skip("the source has no `backend` command yet")
    out = ok(run_frozen(frozen, ["--sandbox", "backend", "deploy"], env, work), "frozen backend deploy")
    assert "CREATE_COMPLETE" in out or "UPDATE_COMPLETE" in out, out


def test_screenshot_of_every_page(frozen, env, work):
    frozen_pages = ok(run_frozen(frozen, ["--list-pages"], env, work), "frozen --list-pages").split()
    source_pages = [snap["pages"] for snap in SNAPSHOTS]
    assert frozen_pages, "the frozen app lists no pages"
    assert frozen_pages in source_pages, f"frozen pages {frozen_pages} != source pages {source_pages[-1]}"
    shots = work / "screenshots"
    print()
    for page in frozen_pages:
        png = shots / f"{page}.png"
        start = time.perf_counter()
        args = ["--sandbox", "--screenshot", str(png), "--page", page]
        ok_like_source(
            run_frozen(frozen, args, env, work), args, env, work, f"frozen --screenshot --page {page}"
        )
        width, height = assert_sensible_png(png, f"page {page}")
        print(
            f"  page {page:14} {width}x{height} {png.stat().st_size / 1024:6.0f} KiB  {time.perf_counter() - start:.1f} s"
        )


def test_linux_tarball_installs(frozen, env, work):
    if not sys.platform.startswith("linux"):
        pytest.skip("the tarball is the Linux installer")
    dist = frozen.parents[1]
    ok(
        subprocess.run(
            [sys.executable, str(PACKAGING / "build.py"), "--no-build", "--installer", "--dist", str(dist)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        ),
        "build.py --installer",
    )
    (tarball,) = (dist / "installers").glob("drs-console-*-linux-*.tar.gz")
    unpack = work / "unpacked"
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        tar.extractall(unpack, filter="tar")
    top = names[0].split("/")[0]
    for member in ("drs-console/drs-console", "drs-console.desktop", "drs-console.png", "install.sh"):
        assert f"{top}/{member}" in names, f"{member} missing from {tarball.name}"
    prefix = work / "prefix"
    ok(
        subprocess.run(
            ["sh", str(unpack / top / "install.sh")],
            env={**env, "PREFIX": str(prefix)},
            capture_output=True,
            text=True,
            timeout=120,
        ),
        "install.sh",
    )
    desktop = (prefix / "share" / "applications" / "drs-console.desktop").read_text()
    assert f"Exec={prefix}/opt/drs-console/drs-console" in desktop
    assert (prefix / "share" / "icons" / "hicolor" / "256x256" / "apps" / "drs-console.png").is_file()
    line = ok(run_frozen(prefix / "bin" / "drs-console", ["--version"], env, work), "installed --version")
    assert line.startswith("drs-console "), line
    print(f"\nLinux tarball: {tarball.name} {tarball.stat().st_size / 1e6:.1f} MB; install.sh ok")


# -- measurements (printed, not asserted) -----------------------------------------------------------
def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def test_measure_bundle_size(frozen):
    from PyInstaller.archive.readers import CArchiveReader

    deps = _load("bundle_deps")
    sandbox_dists = deps.sandbox_only_distributions()
    sandbox_names = deps.import_names(sandbox_dists)
    dist_info = re.compile(r"^(.+?)-[^-]+\.(dist|egg)-info$")

    bundle = frozen.parents[2] if sys.platform == "darwin" else frozen.parent
    internal = internal_dir(frozen)
    total = _tree_size(bundle)
    sandbox_files = 0
    for entry in internal.iterdir():
        name = entry.name
        m = dist_info.match(name)
        top = m.group(1).replace("-", "_").lower() if m else name.split(".")[0]
        in_sandbox = top in sandbox_names or (m and deps.canonicalize_name(m.group(1)) in sandbox_dists)
        if in_sandbox and not entry.is_symlink():
            sandbox_files += entry.stat().st_size if entry.is_file() else _tree_size(entry)
    pyz = CArchiveReader(str(frozen)).open_embedded_archive("PYZ.pyz")
    pyz_total = sum(v[2] for v in pyz.toc.values())
    pyz_sandbox = sum(v[2] for k, v in pyz.toc.items() if k.split(".")[0] in sandbox_names)
    sandbox = sandbox_files + pyz_sandbox
    mb = 1024 * 1024
    print(f"\nbundle {bundle}: {total / mb:.1f} MiB on disk")
    print(f"  compiled Python modules (PYZ): {pyz_total / mb:.1f} MiB")
    print(
        f"  sandbox (moto, werkzeug/flask, jsonpath, antlr4, cryptography, ... = "
        f"{len(sandbox_names & ({k.split('.')[0] for k in pyz.toc} | {p.name.split('.')[0] for p in internal.iterdir()}))}"
        f" packages): {sandbox / mb:.1f} MiB = {100 * sandbox / total:.0f} % "
        f"(modules {pyz_sandbox / mb:.1f} MiB, files {sandbox_files / mb:.1f} MiB)"
    )
    largest = sorted(
        (
            (_tree_size(p) if p.is_dir() else p.stat().st_size, p.name)
            for p in internal.iterdir()
            if not p.is_symlink()
        ),
        reverse=True,
    )[:6]
    print("  largest: " + ", ".join(f"{n} {s / mb:.0f} MiB" for s, n in largest))
    assert total > 0


def _median_time(cmd: list[str], env, cwd: Path) -> float:
    times = []
    for _ in range(STARTUP_RUNS):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
        times.append(time.perf_counter() - start)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return statistics.median(times)


def test_measure_startup(frozen, env, work):
    png = work / "startup.png"
    # one untimed run each first: the OS file cache, not the app, is what a cold first run measures
    run_frozen(frozen, ["--screenshot", str(png)], env, work)
    frozen_s = _median_time([str(frozen), "--screenshot", str(png)], env, work)
    assert_sensible_png(png, "frozen main window")
    src_env = {**env, "PYTHONPATH": str(ROOT)}
    run_source(["--screenshot", str(png)], env, work)
    source_s = _median_time([sys.executable, "-m", "drs_console", "--screenshot", str(png)], src_env, work)
    print(f"\nstartup to the first painted main window, no sandbox (median of {STARTUP_RUNS}, offscreen):")
    print(f"  frozen: {frozen_s * 1000:.0f} ms")
    print(f"  source: {source_s * 1000:.0f} ms   (python -m drs_console)")
    print(f"  frozen/source: {frozen_s / source_s:.2f}x")
