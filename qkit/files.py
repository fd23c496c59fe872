"""Writing files so that nothing half-written is ever trusted, and file-system failures in plain words.

Every file qkit writes goes to a temporary file in the same folder first and is
renamed over the target only when complete, so a run killed half-way leaves
either the old file or the new one, never a torn one. File-system errors
(read-only, full disk, no permission, not a folder) become a ``QkitError``
naming the path and what went wrong.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import Problem, QkitError

ERRNO_CODES = {
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "disk_full",
    errno.EROFS: "read_only",
    errno.EACCES: "permission_denied",
    errno.EPERM: "permission_denied",
    errno.ENOTDIR: "not_folder",
    errno.EISDIR: "is_folder",
    errno.ENOENT: "file_missing",
}


def file_error(path: str | Path, exc: OSError) -> QkitError:
    """An OSError as the user's problem: which path, and read-only, full, no permission … in their words."""
    code = ERRNO_CODES.get(exc.errno or 0, "cannot_write")
    return QkitError(Problem(str(path), code, params={"detail": exc.strerror or str(exc)}))


@contextmanager
def replacing(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends without error.

    ``suffix`` keeps the extension tools look at (``.xlsx`` for openpyxl).
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise file_error(path.parent, exc) from None
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise file_error(path, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to ``path`` through a temporary file and a rename."""
    path = Path(path)
    with replacing(path, path.suffix) as temporary:
        if isinstance(content, str):
            temporary.write_text(content, encoding="utf-8")
        else:
            temporary.write_bytes(content)
    return path


def writable_folder(folder: str | Path) -> Path:
    """Create ``folder`` if needed and make sure files can be written in it; QkitError says why not."""
    folder = Path(folder)
    try:
        if folder.exists() and not folder.is_dir():
            raise QkitError(Problem(str(folder), "not_folder"))
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise file_error(folder, exc) from None
    return folder


def remove(path: str | Path) -> None:
    """Remove a file if it is there, with any temporary an interrupted write left beside it."""
    path = Path(path)
    try:
        for leftover in path.parent.glob(f".{glob_escape(path.name)}.*"):
            leftover.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise file_error(path, exc) from None


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
