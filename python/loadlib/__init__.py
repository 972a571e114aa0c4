"""loadlib: call a 32-bit library from 64-bit Python through a 32-bit server, over
shared memory.

- ``Client64`` / ``Server32``: the original tool's (msl-loadlib's) API. A module with a
  ``Server32`` subclass runs in a 32-bit CPython inside the server; ``Client64``
  subclasses call its methods with ``request32``.
- ``CDLL32`` / ``WinDLL32``: a library's functions declared with ctypes' ``argtypes``
  and ``restype``, called with no server code at all.
- ``Client64(..., server32_exe=...)``: a server written in Rust with loadlib.
"""

from ._client import Client64
from ._ctypes import CDLL32, WinDLL32, c_int64, c_longlong, c_uint64, c_ulonglong
from .exceptions import ArgumentError, ConnectionTimeoutError, ResponseTimeoutError, Server32Error, ServerCrashedError
from .server32 import Server32

__all__ = [
    "CDLL32",
    "ArgumentError",
    "Client64",
    "ConnectionTimeoutError",
    "ResponseTimeoutError",
    "Server32",
    "Server32Error",
    "ServerCrashedError",
    "WinDLL32",
    "c_int64",
    "c_longlong",
    "c_uint64",
    "c_ulonglong",
]
__version__ = "0.1.0"
