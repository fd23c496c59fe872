"""Small or read-only folders, as a full disk or a read-only mount, made with tmpfs (root only)."""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"),
                                reason="mounts a small or read-only tmpfs (needs root)")


@contextmanager
def tmpfs(path: Path, size: str = "1m", read_only: bool = False, fill_from: Path | None = None):
    """A tmpfs at path (optionally with files copied in, then remounted read-only); unmounted at the end."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        if fill_from is not None:
            shutil.copytree(fill_from, path, dirs_exist_ok=True)
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
