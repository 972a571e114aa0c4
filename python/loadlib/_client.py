"""``Client64``: the original tool's client, over loadlib's shared-memory bridge."""

from __future__ import annotations

import importlib
import inspect
import io
import os
import sys
from collections.abc import Iterable
from typing import Any

from . import _paths
from ._native import NativeClient
from .exceptions import Server32Error
from .server32 import Server32

__all__ = ["Client64"]

#: The request for a Python server's metadata (the library's path, its pid).
METADATA = "\x01metadata"


def _paths_of(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [os.fsdecode(value)]
    if isinstance(value, Iterable):
        return [os.fsdecode(v) for v in value]
    return [os.fsdecode(value)]


class Client64:
    """Starts a 32-bit server and sends it requests, as the original tool's ``Client64``.

    ``module32`` is the name of, or path to, a Python module with a ``Server32``
    subclass, which the 32-bit server (an embedded 32-bit CPython) imports and builds.
    With ``server32_exe``, the server is a program of your own built with loadlib's
    Rust API (``loadlib::server::serve``), and ``module32`` is its module's name.

    Keyword arguments of the original tool: ``append_sys_path`` and
    ``append_environ_path`` (folders for the server's ``sys.path`` and ``PATH``),
    ``add_dll_directory`` (Windows), ``timeout`` (seconds to start, default 10),
    ``rpc_timeout`` (seconds per request, default none), ``server32_dir`` (the folder of
    the server), ``host`` (``None``: no server, the module runs in this process, as the
    original's mocked connection); ``port`` and ``protocol`` are accepted and unused.
    Every other keyword argument goes to the ``Server32`` subclass as a ``str``.
    """

    def __init__(  # noqa: PLR0913
        self,
        module32: Any,
        *,
        add_dll_directory: Any = None,
        append_environ_path: Any = None,
        append_sys_path: Any = None,
        host: str | None = "127.0.0.1",
        port: int = 0,
        protocol: int = 5,
        rpc_timeout: float | None = None,
        server32_dir: Any = None,
        timeout: float = 10,
        server32_exe: Any = None,
        kill_timeout: float = 10,
        **kwargs: Any,
    ) -> None:
        del port, protocol
        self._native: NativeClient | None = None
        self._mock: Any = None
        self._output: tuple[io.BytesIO, io.BytesIO] | None = None
        self._python_server = server32_exe is None
        self._meta: dict[str, Any] | None = None
        module32 = os.fsdecode(module32)
        self._module32 = module32
        sys_path = list(sys.path) + [p for p in _paths_of(append_sys_path) if p not in sys.path]
        if host is None:
            self._mock = _mock_server(module32, sys_path, _paths_of(append_environ_path), kwargs)
            return
        env: list[tuple[str, str]] = []
        path = [os.environ.get("PATH", ""), os.getcwd(), *_paths_of(append_environ_path)]
        env.append(("PATH", os.pathsep.join(p for p in path if p)))
        if self._python_server:
            exe = _paths.find(_paths.PYTHON_SERVER, server32_dir)
            env.append(("LOADLIB_SERVER32_SYS_PATH", os.pathsep.join(sys_path)))
        else:
            exe = os.fsdecode(server32_exe)
        library_paths = _paths_of(add_dll_directory)
        kw = [(str(k), str(v)) for k, v in kwargs.items()]
        self._native = NativeClient(exe, module32, kw, env, library_paths, float(timeout), rpc_timeout, float(kill_timeout), self._python_server)

    # -- the original tool's API --------------------------------------------------

    def request32(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Calls method ``name`` of the server's module with ``args`` and ``kwargs``
        (an attribute that is not callable is returned as it is) and returns the
        reply. Raises ``Server32Error`` for an error on the server."""
        if self._mock is not None:
            attr = getattr(self._mock, name)
            return attr(*args, **kwargs) if callable(attr) else attr
        native = self.__dict__.get("_native")
        if native is None:
            msg = "The connection to the 32-bit server is closed"
            raise Server32Error(msg)
        return native.call(name, args, kwargs)

    def shutdown_server32(self, kill_timeout: float = 10) -> tuple[io.BytesIO, io.BytesIO]:
        """Stops the server (killing it if it has not ended within the ``kill_timeout``
        given when the client was made) and returns its ``(stdout, stderr)`` as
        readable binary streams, as the original tool does."""
        del kill_timeout
        native = self.__dict__.get("_native")
        if native is not None and not native.closed:
            out = native.shutdown()
            if out is not None:
                stdout, stderr, _status = out
                self._output = (io.BytesIO(stdout.encode()), io.BytesIO(stderr.encode()))
        if self._output is None:
            self._output = (io.BytesIO(), io.BytesIO())
        return self._output

    def __enter__(self) -> Client64:
        return self

    def __exit__(self, *ignored: object) -> None:
        self._cleanup()

    def __del__(self) -> None:
        self._cleanup()

    def _cleanup(self) -> None:
        try:
            native = self.__dict__.get("_native")
            if native is not None and not native.closed:
                self.shutdown_server32()
        except Exception:  # noqa: BLE001, S110 - as the original: cleanup never raises
            pass

    def __repr__(self) -> str:
        native = self.__dict__.get("_native")
        state = "mocked" if self.__dict__.get("_mock") is not None else "closed" if native is None or native.closed else f"pid={native.server_pid}"
        return f"<{type(self).__name__} module32={self.__dict__.get('_module32')!r} {state}>"

    @property
    def host(self) -> str | None:
        """``None`` (there is no socket: requests go through shared memory)."""
        return None

    @property
    def port(self) -> int:
        """``-1`` (there is no socket)."""
        return -1

    @property
    def connection(self) -> None:
        """``None`` (there is no HTTP connection)."""
        return None

    @property
    def lib32_path(self) -> str:
        """The path of the library the server's module loaded (Python servers)."""
        if self._mock is not None:
            return str(self._mock.path)
        return str(self._metadata()["path"])

    # -- loadlib's own ------------------------------------------------------------

    @property
    def server32_pid(self) -> int:
        """The server's process id."""
        return self._require().server_pid

    @property
    def server32_pointer_width(self) -> int:
        """The server's pointer width in bits: 32 for a 32-bit server."""
        return self._require().pointer_width

    def alloc_array(self, shape: int | tuple[int, ...], dtype: Any = float) -> Any:
        """A zeroed numpy array in shared memory, which the server reads, and writes when
        passed writable, in place: passing it copies nothing. It stays valid as long as
        any numpy array over it exists, even after the server has ended."""
        import numpy as np  # noqa: PLC0415

        shape_t = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
        typestr = np.dtype(dtype).newbyteorder("<").str
        buffer = self._require().alloc(typestr, list(shape_t))
        return np.asarray(buffer)

    def _require(self) -> NativeClient:
        native = self.__dict__.get("_native")
        if native is None or native.closed:
            msg = "The connection to the 32-bit server is closed"
            raise Server32Error(msg)
        return native

    def _metadata(self) -> dict[str, Any]:
        if self._meta is None:
            if not self._python_server:
                msg = "lib32_path is known for Python servers only"
                raise AttributeError(msg)
            self._meta = self._require().call(METADATA, ())
        return self._meta


def _mock_server(module32: str, sys_path: list[str], environ_path: list[str], kwargs: dict[str, Any]) -> Any:
    """The original tool's mocked connection (``host=None``): the module's ``Server32``
    subclass built in this process."""
    if environ_path:
        os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *environ_path])
    directory, name = os.path.split(module32)
    if directory and directory not in sys.path:
        sys.path.append(directory)
    for p in sys_path:
        if p not in sys.path:
            sys.path.append(p)
    mod = importlib.import_module(name[:-3] if name.endswith(".py") else name)
    for _, obj in inspect.getmembers(mod, inspect.isclass):
        if obj is not Server32 and issubclass(obj, Server32):
            return obj(None, -1, **{k: str(v) for k, v in kwargs.items()})
    msg = f"Module {module32!r} does not contain a class that is a subclass of Server32"
    raise AttributeError(msg)
