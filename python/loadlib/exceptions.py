"""Exceptions, with the names and attributes of the original tool's (msl-loadlib)."""

from __future__ import annotations

import ctypes
from http.client import HTTPException

__all__ = [
    "ArgumentError",
    "ConnectionTimeoutError",
    "ResponseTimeoutError",
    "Server32Error",
    "ServerCrashedError",
]

#: Separates a Python server's traceback from the exception's message on the wire.
TRACEBACK_MARK = "\n\x00traceback\x00\n"


class ConnectionTimeoutError(OSError):
    """The 32-bit server did not become ready in time, or exited before it was.

    ``reason`` holds what the server printed on stderr (the original tool's attribute).
    """

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.timeout_message: str = message
        self.reason: str = reason

    def __str__(self) -> str:
        if self.reason:
            return f"{self.timeout_message}\n{self.reason}"
        return self.timeout_message


class Server32Error(HTTPException):
    """An exception raised on the 32-bit server: its ``name``, ``value`` (the message)
    and ``traceback`` (a Python server's), and ``kind``, loadlib's class of error
    (``UnknownMethod``, ``TypeError``, ``ValueError``, ``Overflow``, ``LibraryError``,
    ``Panic``, ``Other``…)."""

    def __init__(self, value: str, *, name: str = "", traceback: str = "", kind: str = "") -> None:
        if TRACEBACK_MARK in value and not traceback:
            value, traceback = value.split(TRACEBACK_MARK, 1)
        super().__init__(f"\n{traceback}\n{name}: {value}" if name else value)
        self._value = value
        self._name = name
        self._traceback = traceback
        self._kind = kind or name

    @property
    def name(self) -> str:
        """The name of the exception type on the server, e.g. ``ZeroDivisionError``."""
        return self._name

    @property
    def value(self) -> str:
        """The error message."""
        return self._value

    @property
    def traceback(self) -> str:
        """The traceback from a Python server, else ``""``."""
        return self._traceback

    @property
    def kind(self) -> str:
        """loadlib's kind of error (``loadlib::server::ErrorKind``), e.g. ``TypeError``."""
        return self._kind


class ResponseTimeoutError(OSError):
    """No reply within the request timeout (``rpc_timeout``)."""


class ServerCrashedError(OSError):
    """The 32-bit server died (a segfault in the library, say): ``signal`` or ``code``
    says how, ``stderr`` is the end of what it printed. A new client starts a new one."""

    def __init__(self, message: str, *, signal: int | None = None, code: int | None = None, stderr: str = "") -> None:
        super().__init__(f"{message}\n{stderr}" if stderr else message)
        self.signal = signal
        self.code = code
        self.stderr = stderr


class ArgumentError(ctypes.ArgumentError, ValueError):
    """An argument that cannot be passed as declared (a foreign call's wrong type, count,
    length or null); a ``ctypes.ArgumentError`` and a ``ValueError``."""
