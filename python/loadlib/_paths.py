"""Where the package's 32-bit servers are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_EXE = ".exe" if sys.platform == "win32" else ""

#: The generic server for foreign calls (``CDLL32``), and its override.
FOREIGN_SERVER = ("loadlib-server" + _EXE, "LOADLIB_SERVER32")
#: The server that embeds a 32-bit CPython for ``Server32`` modules, and its override.
PYTHON_SERVER = ("loadlib-server32-python" + _EXE, "LOADLIB_SERVER32_PYTHON")


def find(which: tuple[str, str], directory: str | os.PathLike[str] | None = None) -> str:
    """The server: ``directory/<name>`` if a directory is given, else the path in the
    environment variable if it is set, else the file shipped in this package."""
    name, var = which
    if directory is not None:
        candidates = [Path(os.fsdecode(directory)) / name]
    elif os.environ.get(var):
        candidates = [Path(os.environ[var])]
    else:
        candidates = [_HERE / name]
    for c in candidates:
        if c.is_file():
            return str(c)
    where = ", ".join(str(c) for c in candidates)
    msg = f"Cannot find the 32-bit server {name} (looked at {where}; set {var} to its path)"
    raise OSError(msg)
