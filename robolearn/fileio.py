"""Atomic file and folder writes (stdlib only): a reader never sees a half-written result."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _file_mode() -> int:
    """The mode ``open()`` would give a new file (0o666 minus the umask); mkstemp's is 0o600."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file and a rename."""
    atomic_write_bytes(path, text.encode())


def replace_dir(tmp: Path, final: Path) -> Path:
    """Put the complete folder ``tmp`` at ``final``, replacing what was there.

    The old folder is first renamed aside, so at every moment ``final`` is either the old
    complete folder, the new one, or absent (then ``.<name>.old`` holds the old one).
    """
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    return final
