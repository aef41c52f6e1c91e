"""The machine and the source a run measured: cores, memory, versions, commit, load."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import io
import os
import platform
import subprocess
import tarfile
import tempfile
from pathlib import Path

from inputs import fingerprint
from settings import PACKAGES, ROOT


def _proc_field(path: str, name: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine(snapshot: str | None) -> dict[str, str]:
    """Cores, memory, CPU model, Python, package versions, repository state, date."""
    info = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": f"{os.cpu_count()} logical ({len(os.sched_getaffinity(0))} usable)",
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }
    mem = _proc_field("/proc/meminfo", "MemTotal")
    if mem:
        info["memory"] = f"{int(mem.split()[0]) / 1024**2:.1f} GiB"
    for name in PACKAGES:
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = "not installed"
    git = ["git", "-C", str(ROOT)]
    if snapshot is not None:
        info["commit"] = f"{snapshot} (committed source, exported with git archive)"
        return info
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "wcfevents"],
                               capture_output=True, text=True, check=True).stdout.strip()
        info["commit"] = head + (" (package files modified in the working tree)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = "unknown"
    return info


def code_state(source: Path) -> str:
    """A fingerprint of the package source now (catches edits made during the run)."""
    return fingerprint(["wcfevents"], source)


def export_snapshot(rev: str) -> tuple[Path, str]:
    """`wcfevents/` and `tools/` as committed at `rev`, in a temporary directory."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev],
                            capture_output=True, text=True, check=True).stdout.strip()
    target = Path(tempfile.mkdtemp(prefix="wcfevents-snapshot-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit,
                              "wcfevents", "tools"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target, commit


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())

