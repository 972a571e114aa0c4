"""``CDLL32`` / ``WinDLL32``: a 32-bit library's functions called from 64-bit Python
with ctypes' own declarations (``argtypes``, ``restype``, ``POINTER``, ``Structure``,
``byref``), through loadlib's generic server: no server code of your own.

A function is bound in the server (looked up, its frame laid out) the first time it is
called with a given signature: its ``argtypes`` and ``restype``, and for each pointer
argument whether the library may write through it (a writable numpy array, a ctypes
object passed ``byref``, a ctypes array) or only reads it (a list, ``bytes``, a
read-only array). Changing ``argtypes`` or ``restype`` binds again at the next call;
each signature is bound once and kept.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

from . import _paths
from ._native import NativeClient
from .exceptions import ArgumentError, Server32Error

__all__ = ["CDLL32", "WinDLL32", "c_int64", "c_longlong", "c_uint64", "c_ulonglong"]

# The 32-bit library's C types by ctypes' type code. `long` ("l") is the 32-bit
# library's: 4 bytes. On 64-bit Linux, ctypes.c_longlong and c_int64 *are* c_long (the
# same class), so a 64-bit integer is declared with this module's c_int64 / c_longlong
# (c_uint64 / c_ulonglong), which mean 8 bytes everywhere.
_CODES = {
    "?": "bool",
    "b": "i8",
    "B": "u8",
    "c": "i8",
    "h": "i16",
    "H": "u16",
    "i": "i32",
    "I": "u32",
    "l": "i32",
    "L": "u32",
    "q": "i64",
    "Q": "u64",
    "f": "f32",
    "d": "f64",
    "P": "pointer",
}
_NUMPY = {"i8": "|i1", "u8": "|u1", "i16": "<i2", "u16": "<u2", "i32": "<i4", "u32": "<u4", "i64": "<i8", "u64": "<u8", "f32": "<f4", "f64": "<f8", "bool": "|u1"}
# Size and alignment of each scalar in a 32-bit server's structs.
_SIZES = {"bool": 1, "i8": 1, "u8": 1, "i16": 2, "u16": 2, "i32": 4, "u32": 4, "i64": 8, "u64": 8, "f32": 4, "f64": 8, "pointer": 4}

_Simple = ctypes._SimpleCData  # noqa: SLF001


class c_int64(_Simple):  # noqa: N801
    """A 64-bit signed integer (``long long``, ``int64_t``) for the 32-bit library. On
    64-bit Linux ``ctypes.c_int64`` and ``ctypes.c_longlong`` are ``ctypes.c_long``,
    which loadlib reads as the library's 4-byte ``long``: declare 64-bit integers with
    this one (a fundamental ctypes type, like ``ctypes.c_longlong`` on Windows)."""

    _type_ = "q"


class c_uint64(_Simple):  # noqa: N801
    """A 64-bit unsigned integer (``unsigned long long``, ``uint64_t``); see
    ``c_int64``."""

    _type_ = "Q"


c_longlong = c_int64
c_ulonglong = c_uint64

_PointerType = ctypes._Pointer  # noqa: SLF001
_CArg = type(ctypes.byref(ctypes.c_int()))


def _fail(msg: str) -> ArgumentError:
    return ArgumentError(msg)


def _is_simple(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, _Simple)


def _type(t: Any, where: str) -> Any:
    """The description of ctypes type ``t`` as a value (a struct field or by value)."""
    if _is_simple(t):
        code = t._type_
        if code in _CODES:
            return _CODES[code]
        msg = f"{where}: ctypes type {t.__name__} is not supported (use an integer, float, c_bool, c_char or c_void_p type)"
        raise TypeError(msg)
    if isinstance(t, type) and issubclass(t, (ctypes.Structure,)):
        return _struct(t)
    if isinstance(t, type) and issubclass(t, ctypes.Array):
        return ("array", _type(t._type_, where), t._length_)
    if isinstance(t, type) and issubclass(t, _PointerType):
        return "pointer"
    if isinstance(t, type) and issubclass(t, ctypes.Union):
        msg = f"{where}: unions are not supported"
        raise TypeError(msg)
    msg = f"{where}: {t!r} is not a ctypes type"
    raise TypeError(msg)


_STRUCTS: dict[type, Any] = {}


def _struct(t: type) -> Any:
    spec = _STRUCTS.get(t)
    if spec is None:
        fields = []
        for f in getattr(t, "_fields_", ()):
            if len(f) != 2:  # noqa: PLR2004
                msg = f"struct {t.__name__}: bit fields are not supported"
                raise TypeError(msg)
            fields.append((f[0], _type(f[1], f"struct {t.__name__}.{f[0]}")))
        spec = ("struct", t.__name__, tuple(fields))
        _STRUCTS[t] = spec
    return spec


def _layout(spec: Any, windows: bool) -> tuple[int, int]:
    """Size and alignment of a described type in a 32-bit server's structs (i386 Linux
    aligns 8-byte scalars to 4; 32-bit Windows to 8)."""
    if isinstance(spec, str):
        size = _SIZES[spec]
        return size, size if windows else min(size, 4)
    if spec[0] == "array":
        size, align = _layout(spec[1], windows)
        return size * spec[2], align
    at, align = 0, 1
    for _, f in spec[2]:
        size, a = _layout(f, windows)
        at = (at + a - 1) // a * a + size
        align = max(align, a)
    return (at + align - 1) // align * align, align


def _same_layout(t: type) -> bool:
    """Whether struct ``t`` has the same bytes here as in the 32-bit library."""
    spec = _struct(t)
    windows = sys.platform == "win32"
    if "pointer" in repr(spec):
        return False
    if _layout(spec, windows)[0] != ctypes.sizeof(t):
        return False
    at = 0
    for name, f in spec[2]:
        size, a = _layout(f, windows)
        at = (at + a - 1) // a * a
        if getattr(t, name).offset != at:
            return False
        if isinstance(f, tuple) and f[0] == "struct" and not _same_layout(dict(t._fields_)[name]):
            return False
        at += size
    return True


def _to_python(v: Any) -> Any:
    """A struct's or array's value as plain Python (dicts and lists)."""
    if isinstance(v, ctypes.Structure):
        return {f[0]: _to_python(getattr(v, f[0])) for f in v._fields_}
    if isinstance(v, ctypes.Array):
        return [_to_python(x) for x in v]
    if isinstance(v, _Simple):
        return _to_python(v.value)
    if isinstance(v, _PointerType):
        if not v:
            return None
        msg = "a pointer into this process cannot be passed inside a struct (the library runs in another process)"
        raise _fail(msg)
    if isinstance(v, bytes) and len(v) == 1:
        return v[0]
    return v


def _from_python(t: Any, v: Any) -> Any:
    """A returned value as ctypes' result type ``t`` gives it."""
    if isinstance(t, type) and issubclass(t, ctypes.Structure):
        out = t()
        for f in t._fields_:
            setattr(out, f[0], _from_python(f[1], v[f[0]]))
        return out
    if isinstance(t, type) and issubclass(t, ctypes.Array):
        return t(*[_from_python(t._type_, x) for x in v])
    if _is_simple(t) and t._type_ == "c" and isinstance(v, int):
        return bytes([v & 0xFF])
    return v


def _numpy() -> Any:
    import numpy as np  # noqa: PLC0415

    return np


def _writable_view(obj: Any, spec: Any) -> Any:
    """A numpy view of a ctypes object's own memory (a scalar, an array, a struct with
    the library's layout), so the library's writes land in it."""
    np = _numpy()
    if isinstance(obj, ctypes.Structure):
        if not _same_layout(type(obj)):
            msg = (
                f"struct {type(obj).__name__} is laid out differently here and in the 32-bit library "
                "(8-byte fields are 4-aligned there on Linux, pointers are 4 bytes): it can be passed "
                "by value, or by pointer as a dict or list of its fields for the library to read"
            )
            raise _fail(msg)
        return np.frombuffer(obj, dtype=np.uint8)
    if isinstance(obj, ctypes.Array) and isinstance(spec, str) and spec in _NUMPY:
        return np.frombuffer(obj, dtype=_NUMPY[spec])
    if isinstance(obj, _Simple) and isinstance(spec, str) and spec in _NUMPY:
        if ctypes.sizeof(obj) != np.dtype(_NUMPY[spec]).itemsize:
            msg = f"a {type(obj).__name__} for a pointer to {spec}"
            raise _fail(msg)
        return np.frombuffer(obj, dtype=_NUMPY[spec])
    if isinstance(obj, (ctypes.Array, ctypes.Structure, _Simple)):
        return np.frombuffer(obj, dtype=np.uint8)
    msg = f"cannot pass a pointer to {type(obj).__name__}"
    raise _fail(msg)


def _pointer_arg(elem: Any, elem_type: Any, v: Any, i: int) -> tuple[Any, Any]:
    """A pointer parameter to elements ``elem`` (described) and its value."""
    if v is None:
        return ("array", elem, "in", True), None
    if isinstance(v, _CArg):
        v = v._obj
    elif isinstance(v, _PointerType):
        if not v:
            return ("array", elem, "in", True), None
        v = v.contents
    if isinstance(v, (ctypes.Structure, ctypes.Array, _Simple)):
        if isinstance(v, ctypes.Structure) and not _same_layout(type(v)) and isinstance(elem, tuple):
            # Read-only, as its fields: the library's own layout is written there.
            return ("array", elem, "in", False), _to_python(v)
        view = _writable_view(v, elem)
        return ("array", elem if not isinstance(elem, tuple) else "u8", "inout", False), view
    if hasattr(v, "__array_interface__"):
        iface = v.__array_interface__
        want = _NUMPY.get(elem) if isinstance(elem, str) else None
        if want is not None and iface["typestr"] != want and not (elem == "bool" and iface["typestr"] in ("|b1", "|i1")):
            msg = f"argument {i + 1}: an array of {iface['typestr']} for a pointer to {elem} ({want})"
            raise _fail(msg)
        data = iface.get("data")
        readonly = not isinstance(data, tuple) or data[1]
        return ("array", elem, "in" if readonly else "inout", False), v
    if isinstance(v, bytearray):
        return ("array", elem, "inout", False), _numpy().frombuffer(v, dtype=_numpy().uint8)
    if isinstance(v, (bytes, list, tuple, dict)):
        if isinstance(v, (list, tuple)):
            v = [_to_python(x) for x in v]
        return ("array", elem, "in", False), v
    if isinstance(v, int):
        msg = f"argument {i + 1}: an address cannot be passed for a pointer (the library runs in another process)"
        raise _fail(msg)
    msg = f"argument {i + 1}: {type(v).__name__} for a pointer to {elem_type.__name__ if isinstance(elem_type, type) else elem}"
    raise _fail(msg)


def _arg(t: Any, v: Any, i: int) -> tuple[Any, Any]:
    """Parameter ``i`` declared ``t`` (``None``: not declared) and value ``v``: its
    description and the value to send."""
    if t is None:
        return _inferred(v, i)
    if t is ctypes.c_char_p:
        if isinstance(v, (ctypes.Array, bytearray)):
            # A buffer the library may write (create_string_buffer), as ctypes passes it.
            return _pointer_arg("i8", ctypes.c_char, v, i)
        if isinstance(v, str):
            v = v.encode()
        if v is not None and not isinstance(v, (bytes, bytearray)):
            msg = f"argument {i + 1}: {type(v).__name__} for c_char_p (give bytes or None)"
            raise _fail(msg)
        return ("str", True), None if v is None else bytes(v)
    if t is ctypes.c_wchar_p:
        msg = f"argument {i + 1}: c_wchar_p is not supported"
        raise TypeError(msg)
    if t is ctypes.c_void_p:
        if v is None or isinstance(v, int):
            return ("value", "pointer"), v
        if isinstance(v, ctypes.c_void_p):
            return ("value", "pointer"), v.value
        return _pointer_arg("u8", ctypes.c_ubyte, v, i)
    if _is_simple(t):
        spec = _type(t, f"argument {i + 1}")
        if isinstance(v, _Simple):
            v = v.value
        if isinstance(v, bytes) and len(v) == 1:
            v = v[0]
        return ("value", spec), v
    if isinstance(t, type) and issubclass(t, ctypes.Structure):
        return ("value", _struct(t)), v if isinstance(v, (dict, list, tuple)) else _to_python(v)
    if isinstance(t, type) and issubclass(t, _PointerType):
        elem_t = t._type_
        return _pointer_arg(_type(elem_t, f"argument {i + 1}"), elem_t, v, i)
    if isinstance(t, type) and issubclass(t, ctypes.Array):
        return _pointer_arg(_type(t._type_, f"argument {i + 1}"), t._type_, v, i)
    msg = f"argument {i + 1}: {t!r} is not a supported ctypes type"
    raise TypeError(msg)


def _inferred(v: Any, i: int) -> tuple[Any, Any]:
    """ctypes' conversions for an argument with no declared type."""
    if v is None:
        return ("value", "pointer"), None
    if isinstance(v, bool) or isinstance(v, int):
        return ("value", "i32"), int(v)
    if isinstance(v, bytes):
        return ("str", True), v
    if isinstance(v, _Simple):
        return _arg(type(v), v, i)
    if isinstance(v, ctypes.Structure):
        return _arg(type(v), v, i)
    if isinstance(v, _CArg):
        inner = v._obj
        return _pointer_arg(_type(type(inner), f"argument {i + 1}"), type(inner), v, i)
    if isinstance(v, ctypes.Array):
        return _pointer_arg(_type(v._type_, f"argument {i + 1}"), v._type_, v, i)
    if hasattr(v, "__array_interface__"):
        code = {"|i1": "i8", "|u1": "u8", "<i2": "i16", "<u2": "u16", "<i4": "i32", "<u4": "u32", "<i8": "i64", "<u8": "u64", "<f4": "f32", "<f8": "f64"}.get(v.__array_interface__["typestr"])
        if code is not None:
            return _pointer_arg(code, None, v, i)
    msg = f"argument {i + 1}: Don't know how to convert parameter {i + 1} ({type(v).__name__}); set argtypes"
    raise _fail(msg)


def _ret(t: Any) -> Any:
    if t is None:
        return None
    if t is ctypes.c_char_p:
        return ("str",)
    if t is ctypes.c_wchar_p:
        msg = "restype c_wchar_p is not supported"
        raise TypeError(msg)
    if _is_simple(t) or (isinstance(t, type) and issubclass(t, (ctypes.Structure, _PointerType))):
        return ("value", _type(t, "restype"))
    if callable(t):
        return ("value", "i32")
    msg = f"restype {t!r} is not supported"
    raise TypeError(msg)


_FAST_VALUES = (int, float, bool)


def _one_writer(specs: list[Any], values: list[Any]) -> None:
    """The same memory passed writable twice (``f(x, n, x)``, in place): the last one
    stays writable, the others are read (as they were before the call)."""
    spans = []
    for i, (spec, v) in enumerate(zip(specs, values)):
        if spec[0] == "array" and spec[2] == "inout" and hasattr(v, "__array_interface__"):
            address = v.__array_interface__["data"][0]
            spans.append((i, address, address + v.nbytes))
    for k, (i, lo, hi) in enumerate(spans):
        if any(lo < hi2 and lo2 < hi for _, lo2, hi2 in spans[k + 1 :]):
            view = values[i].view()
            view.flags.writeable = False
            values[i] = view
            specs[i] = ("array", specs[i][1], "in", specs[i][3])


class _Function32:
    """A function of a 32-bit library, with ctypes' ``argtypes``, ``restype`` and
    ``errcheck``."""

    def __init__(self, lib: CDLL32, name: str) -> None:
        self._lib = lib
        self.__name__ = name
        self._argtypes: tuple[Any, ...] | None = None
        self.restype: Any = ctypes.c_int
        self.errcheck: Any = None
        self._bound: dict[Any, Any] = {}
        # (argtypes, restype, bound function) of a signature of numbers only, whose
        # calls with plain numbers skip the general conversion.
        self._fast: tuple[Any, Any, Any] | None = None

    @property
    def argtypes(self) -> tuple[Any, ...] | None:
        """The parameters' ctypes types (kept as a tuple, as ctypes does)."""
        return self._argtypes

    @argtypes.setter
    def argtypes(self, value: Any) -> None:
        self._argtypes = None if value is None else tuple(value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__name__} of {self._lib._name!r}>"

    def __call__(self, *args: Any) -> Any:
        fast = self._fast
        if fast is not None and fast[0] is self._argtypes and fast[1] is self.restype and len(args) == len(fast[0]):
            for v in args:
                if type(v) not in _FAST_VALUES:
                    break
            else:
                result = fast[2].call(args)
                return result if self.errcheck is None else self.errcheck(result, self, args)
        return self._call(args)

    def _call(self, args: tuple[Any, ...]) -> Any:
        argtypes = self._argtypes
        n = 0 if argtypes is None else len(argtypes)
        if len(args) < n:
            msg = f"this function takes at least {n} argument{'s' if n != 1 else ''} ({len(args)} given)"
            raise TypeError(msg)
        specs = []
        values = []
        for i, v in enumerate(args):
            spec, value = _arg(argtypes[i] if i < n else None, v, i)
            specs.append(spec)
            values.append(value)
        _one_writer(specs, values)
        restype = self.restype
        ret = _ret(restype)
        key = (tuple(specs), ret)
        native = self._bound.get(key)
        if native is None:
            native = self._lib._native_client().bind(self._lib._name, self._lib._stdcall, self.__name__, specs, ret)
            self._bound[key] = native
        if (
            argtypes is not None
            and len(args) == n
            and all(s[0] == "value" and isinstance(s[1], str) and s[1] != "pointer" for s in specs)
            and (restype is None or (_is_simple(restype) and restype._type_ not in "cPz"))
        ):
            self._fast = (argtypes, restype, native)
        result = native.call(tuple(values))
        if restype is ctypes.c_char_p and isinstance(result, str):
            result = result.encode()
        elif restype is ctypes.c_void_p and result == 0:
            result = None
        elif isinstance(restype, type) and issubclass(restype, (ctypes.Structure, ctypes.Array)):
            result = _from_python(restype, result)
        elif _is_simple(restype) and restype._type_ == "c":
            result = bytes([result & 0xFF])
        elif restype is not None and not isinstance(restype, type) and callable(restype):
            result = restype(result)
        if self.errcheck is not None:
            return self.errcheck(result, self, args)
        return result


class CDLL32:
    """A 32-bit library loaded in loadlib's generic 32-bit server, used like
    ``ctypes.CDLL``: ``lib = CDLL32("cpp_lib32.so"); lib.add.restype = ctypes.c_int;
    lib.add(1, 2)``.

    ``name`` is the library's path or a name the server's loader searches for.
    Keyword arguments: ``timeout`` (seconds to start, default 10), ``rpc_timeout``
    (seconds per call, default none), ``library_path`` (folders searched for the
    library's own dependencies), ``server32_exe`` (another server, e.g. one of your
    own; default: the ``loadlib-server`` in this package, or ``$LOADLIB_SERVER32``).
    ``close()`` (or leaving a ``with`` block) ends the server.
    """

    _stdcall = False

    def __init__(
        self,
        name: Any,
        *,
        timeout: float = 10,
        rpc_timeout: float | None = None,
        library_path: Any = None,
        server32_exe: Any = None,
    ) -> None:
        self._name = os.fsdecode(name)
        exe = _paths.find(_paths.FOREIGN_SERVER) if server32_exe is None else os.fsdecode(server32_exe)
        paths = [] if library_path is None else [os.fsdecode(p) for p in ([library_path] if isinstance(library_path, (str, os.PathLike)) else library_path)]
        self._native = NativeClient(exe, "foreign", [], [], paths, float(timeout), rpc_timeout, 10.0)
        self._functions: dict[str, _Function32] = {}

    def _native_client(self) -> NativeClient:
        native = self.__dict__.get("_native")
        if native is None or native.closed:
            msg = "The connection to the 32-bit server is closed"
            raise Server32Error(msg)
        return native

    def __getattr__(self, name: str) -> _Function32:
        if name.startswith("__") and name.endswith("__") or name.startswith("_"):
            raise AttributeError(name)
        f = self[name]
        self._functions[name] = f
        setattr(self, name, f)
        return f

    def __getitem__(self, name: str) -> _Function32:
        f = self.__dict__.get("_functions", {}).get(name)
        if f is not None:
            return f
        try:
            self._native_client().bind(self._name, self._stdcall, name, [], None)
        except Server32Error as e:
            if e.kind == "LibraryError" and "no function" in e.value:
                raise AttributeError(f"{self._name}: undefined symbol: {name}") from None
            raise
        return _Function32(self, name)

    def alloc_array(self, shape: int | tuple[int, ...], dtype: Any = float) -> Any:
        """A zeroed numpy array in shared memory, which the library reads and writes in
        place when passed for a pointer: nothing is copied either way. It stays valid as
        long as any numpy array over it exists, even after the server has ended."""
        np = _numpy()
        shape_t = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
        typestr = np.dtype(dtype).newbyteorder("<").str
        return np.asarray(self._native_client().alloc(typestr, list(shape_t)))

    @property
    def server32_pid(self) -> int:
        """The server's process id."""
        return self._native_client().server_pid

    def close(self) -> tuple[str, str]:
        """Ends the server; returns its (stdout, stderr)."""
        native = self.__dict__.get("_native")
        for f in self.__dict__.get("_functions", {}).values():
            f._bound.clear()
        if native is None or native.closed:
            return "", ""
        out = native.shutdown()
        return ("", "") if out is None else (out[0], out[1])

    def __enter__(self) -> CDLL32:
        return self

    def __exit__(self, *ignored: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name!r}>"


class WinDLL32(CDLL32):
    """As ``CDLL32``, for ``stdcall`` (``WINAPI``) functions, as ``ctypes.WinDLL``."""

    _stdcall = True
