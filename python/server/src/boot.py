"""The 32-bit server's Python side: installs the `loadlib` module the user's module
imports, builds the user's Server32 subclass, calls its methods, and converts what the
Rust side does not (run by loadlib-server32-python in its embedded CPython)."""

import ctypes
import importlib
import inspect
import os
import pickle
import sys
import traceback
import types

TRACEBACK_MARK = "\n\x00traceback\x00\n"


def install_loadlib(server32_src, exceptions_src):
    """`loadlib` here is this shim: the 64-bit package (if its folder is on sys.path)
    holds a 64-bit native module this interpreter cannot load."""
    pkg = types.ModuleType("loadlib")
    pkg.__path__ = []
    pkg.__file__ = "<loadlib-server32-python>/loadlib/__init__.py"
    sys.modules["loadlib"] = pkg
    for name, src in (("exceptions", exceptions_src), ("server32", server32_src)):
        mod = types.ModuleType("loadlib." + name)
        mod.__file__ = "<loadlib-server32-python>/loadlib/" + name + ".py"
        sys.modules[mod.__name__] = mod
        exec(compile(src, mod.__file__, "exec"), mod.__dict__)
        setattr(pkg, name, mod)
    pkg.server32._IN_SERVER32 = True
    pkg.Server32 = pkg.server32.Server32
    for n in ("Server32Error", "ConnectionTimeoutError", "ResponseTimeoutError", "ArgumentError", "ServerCrashedError"):
        setattr(pkg, n, getattr(pkg.exceptions, n))

    def only_64(*args, **kwargs):
        raise RuntimeError("Client64, CDLL32 and WinDLL32 are for the 64-bit program, not the 32-bit server")

    for n in ("Client64", "CDLL32", "WinDLL32"):
        setattr(pkg, n, type(n, (), {"__init__": only_64}))


def start(module32, sys_path, kwargs):
    """The user's Server32 subclass, built as the original tool builds it."""
    for p in sys_path:
        if p and p not in sys.path:
            sys.path.append(p)
    directory, name = os.path.split(module32)
    if directory and directory not in sys.path:
        sys.path.append(directory)
    mod = importlib.import_module(name[:-3] if name.endswith(".py") else name)
    base = sys.modules["loadlib"].Server32
    for _, obj in inspect.getmembers(mod, inspect.isclass):
        if obj is not base and issubclass(obj, base):
            return obj(None, -1, **kwargs)
    raise AttributeError("Module {!r} does not contain a class that is a subclass of Server32".format(module32))


def method_names(server):
    return [n for n in dir(type(server)) if not n.startswith("_")]


def call(server, name, args, kwargs):
    attr = getattr(server, name)
    return attr(*args, **kwargs) if callable(attr) else attr


def metadata(server):
    return {"path": str(getattr(server, "path", "")), "pid": os.getpid()}


def error(exc, tb=None):
    """(name, message with the traceback after a mark) of an exception; the frames of
    this file are left out."""
    tb = tb if tb is not None else exc.__traceback__
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith("<loadlib-server32-python>")]
    text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) if frames else ""
    text += "".join(traceback.format_exception_only(type(exc), exc))
    return type(exc).__name__, str(exc) + TRACEBACK_MARK + text


def array(fmt, shape, data):
    """An array argument: a memoryview of `fmt` and `shape` over `data` (a bytearray the
    server filled: writable, and what ctypes' from_buffer takes)."""
    view = memoryview(data)
    if 0 in shape:
        return view.cast(fmt) if len(data) == 0 else view
    if fmt != "B":
        view = view.cast(fmt)
    if len(shape) != 1:
        view = view.cast("B").cast(fmt, shape)
    return view


_FORMATS = {"b": "i8", "h": "i16", "i": "i32", "l": "i32", "q": "i64", "B": "u8", "H": "u16", "I": "u32", "L": "u32", "Q": "u64", "f": "f32", "d": "f64"}


def to_wire(obj):
    """A reply value the Rust side does not convert: a ctypes number as its value, a
    buffer of numbers (ctypes array, array.array, memoryview) as ("array", dtype, shape,
    bytes), an object with __index__ or __float__ as a number."""
    if isinstance(obj, ctypes._SimpleCData):
        return obj.value
    try:
        view = memoryview(obj)
    except TypeError:
        view = None
    if view is not None:
        dtype = _FORMATS.get(view.format.lstrip("<=@"))
        if dtype is not None:
            return ("\x00array", dtype, list(view.shape), view.tobytes())
    if hasattr(obj, "__index__"):
        return obj.__index__()
    if hasattr(obj, "__float__"):
        return float(obj)
    # As the original tool sends everything: pickled (the client unpickles it).
    return ("\x00pickle", pickle.dumps(obj, 5))
