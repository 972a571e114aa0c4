"""``Server32``: the base class of a module that the 32-bit server hosts.

The same class as the original tool's (msl-loadlib): a subclass loads the 32-bit library
in its constructor with ``super().__init__(path, libtype, host, port)`` and has one
method per request; ``self.lib`` is the ``ctypes.CDLL`` (or ``WinDLL``).

This file runs in both processes: imported by the 64-bit program, and embedded in the
32-bit server (``loadlib-server32-python``), where it needs nothing but the standard
library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

__all__ = ["Server32"]

#: Set by the 32-bit server before it imports the user's module.
_IN_SERVER32 = False

_DEFAULT_EXTENSION = ".dll" if sys.platform == "win32" else ".so"
_LIBTYPES = {"cdll", "windll", "oledll", "net", "clr", "java", "com", "activex"}


def _find(path: str, libtype: str) -> str:
    """The original tool's search: the path (with the platform's extension if it has
    none), then ``ctypes.util.find_library``, then ``sys.path`` and ``PATH``."""
    candidate = path
    if not os.path.splitext(path)[1]:
        candidate += _DEFAULT_EXTENSION
    full = os.path.abspath(candidate)
    if os.path.isfile(full):
        return full
    found = ctypes.util.find_library(path)
    if found is not None:
        return found
    for directory in sys.path + os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(directory, candidate)
        if os.path.isfile(p):
            return p
    msg = f"Cannot find {path!r} [libtype={libtype!r}]"
    raise OSError(msg)


class Server32:
    """Base class for loading a 32-bit library in the 32-bit server."""

    def __init__(self, path: Any, libtype: str | None = None, host: Any = None, port: Any = None, **kwargs: Any) -> None:
        """Loads the library at ``path`` (``libtype``: ``cdll``, ``windll`` or
        ``oledll``). ``host`` and ``port`` are accepted for the original tool's
        signature and not used: the server talks through shared memory. ``kwargs`` go
        to the ctypes loader."""
        if not path:
            msg = f"Must specify a non-empty path, got {path!r}"
            raise ValueError(msg)
        path = os.fsdecode(path)
        kind = (libtype or "cdll").lower()
        if kind not in _LIBTYPES:
            msg = f"Invalid libtype {kind!r}\nMust be one of: {', '.join(sorted(_LIBTYPES))}"
            raise ValueError(msg)
        if kind not in {"cdll", "windll", "oledll"}:
            msg = f"libtype {kind!r} is not supported by loadlib's server (cdll, windll and oledll are)"
            raise ValueError(msg)
        self._path: str = _find(path, kind)
        loader = {"cdll": ctypes.CDLL, "windll": getattr(ctypes, "WinDLL", None), "oledll": getattr(ctypes, "OleDLL", None)}[kind]
        if loader is None:
            msg = f"libtype {kind!r} exists on Windows only"
            raise ValueError(msg)
        self._lib: Any = loader(self._path, **kwargs)
        self._host = host
        self._port = port

    @property
    def lib(self) -> Any:
        """The library: a ``ctypes.CDLL`` (``WinDLL``, ``OleDLL``)."""
        return self._lib

    @property
    def path(self) -> str:
        """The path of the library file."""
        return self._path

    @property
    def application(self) -> None:
        """Always ``None``: ActiveX is not supported."""
        return None

    @property
    def assembly(self) -> None:
        """Always ``None``: .NET is not supported by this server."""
        return None

    @staticmethod
    def version() -> str:
        """The version of the Python running this code."""
        return sys.version

    @staticmethod
    def is_interpreter() -> bool:
        """Whether this code runs in the 32-bit server."""
        return _IN_SERVER32

    @staticmethod
    def remove_site_packages_64bit() -> str:
        """Removes the first ``site-packages`` folder from ``sys.path`` (which the 64-bit
        client passed on) and returns it, or ``""``."""
        for index, p in enumerate(sys.path):
            if p.endswith("site-packages"):
                return sys.path.pop(index)
        return ""

    def shutdown_handler(self) -> None:
        """Called just before the server shuts down; override it to clean up."""
