"""CDLL32: a 32-bit library's functions with ctypes' declarations, no server code."""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest

import loadlib
from loadlib import CDLL32


@pytest.fixture(scope="module")
def lib(test_lib: str):
    with CDLL32(test_lib) as lib:
        yield lib


@pytest.fixture(scope="module")
def cpp(cpp_lib: str):
    with CDLL32(cpp_lib) as lib:
        yield lib


class IntPair(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int32), ("y", ctypes.c_int32)]


class Mixed(ctypes.Structure):
    _fields_ = [("a", ctypes.c_int32), ("b", ctypes.c_double), ("c", loadlib.c_int64)]


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]


class FourPoints(ctypes.Structure):
    _fields_ = [("points", Point * 4)]


def test_the_issue_example(cpp_lib: str) -> None:
    lib = loadlib.CDLL32(cpp_lib)
    lib.add.restype = ctypes.c_int
    assert lib.add(1, 2) == 3
    lib.add.argtypes = [ctypes.c_int, ctypes.c_int]
    assert lib.add(-7, 2) == -5
    lib.close()


def test_scalars(lib: CDLL32) -> None:
    assert lib.pointer_size() == 4  # the library runs in a 32-bit process
    assert lib.version() == 7  # restype defaults to c_int, as in ctypes
    lib.twice64.restype = loadlib.c_longlong
    lib.twice64.argtypes = [loadlib.c_longlong]
    assert lib.twice64(3 << 33) == 6 << 33
    lib.low_byte.restype = ctypes.c_uint8
    lib.low_byte.argtypes = [ctypes.c_uint32]
    assert lib.low_byte(0x1234) == 0x34


def test_cpp_library(cpp: CDLL32) -> None:
    cpp.subtract.restype = ctypes.c_float
    cpp.subtract.argtypes = [ctypes.c_float, ctypes.c_float]
    assert cpp.subtract(5.5, 1.25) == 4.25
    f = cpp.add_or_subtract
    f.restype = ctypes.c_double
    f.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.c_bool]
    assert f(1.5, 2.0, True) == 3.5
    assert f(1.5, 2.0, False) == -0.5
    cpp.reverse_string_v2.restype = ctypes.c_char_p
    cpp.reverse_string_v2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    assert cpp.reverse_string_v2(b"hello", 5) == b"olleh"
    d4 = cpp.distance_4_points
    d4.restype = ctypes.c_double
    d4.argtypes = [FourPoints]
    square = FourPoints((Point(0, 0), Point(0, 1), Point(1, 1), Point(1, 0)))
    assert d4(square) == 4.0
    assert d4({"points": [{"x": 0, "y": 0}, {"x": 0, "y": 2}, {"x": 2, "y": 2}, {"x": 2, "y": 0}]}) == 8.0


def test_arrays(cpp: CDLL32) -> None:
    sm = cpp.scalar_multiply
    sm.restype = None
    sm.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    x = np.arange(5.0)
    out = np.zeros(5)
    assert sm(2.0, x, 5, out) is None
    assert out.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    out2 = (ctypes.c_double * 3)()
    sm(3.0, [1.0, 2.0, 3.0], 3, out2)
    assert list(out2) == [3.0, 6.0, 9.0]
    y = np.arange(5.0)
    sm(2.0, y, 5, y)  # in place: the library reads and writes the same memory
    assert y.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    ro = np.arange(5.0)
    ro.flags.writeable = False
    sm(3.0, ro, 5, out)
    assert out.tolist() == [0.0, 3.0, 6.0, 9.0, 12.0]
    with pytest.raises(loadlib.ArgumentError, match="float64|f64"):
        sm(2.0, np.arange(5, dtype=np.int32), 5, out)


def test_strings_and_buffers(lib: CDLL32, cpp: CDLL32) -> None:
    lib.count_char.argtypes = [ctypes.c_char_p, ctypes.c_char]
    assert lib.count_char(b"banana", b"a") == 3
    lib.greeting.restype = ctypes.c_char_p
    assert lib.greeting() == b"hello from 32 bits"
    lib.null_string.restype = ctypes.c_char_p
    assert lib.null_string() is None
    lib.upper.restype = None
    lib.upper.argtypes = [ctypes.c_char_p]
    buf = ctypes.create_string_buffer(b"shout")
    lib.upper(buf)
    assert buf.value == b"SHOUT"
    rs = cpp.reverse_string_v1
    rs.restype = None
    rs.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    out = ctypes.create_string_buffer(6)
    rs(b"hello", 5, out)
    assert out.value == b"olleh"


def test_byref_and_structs(lib: CDLL32) -> None:
    lib.fill_int.restype = None
    lib.fill_int.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    v = ctypes.c_int(0)
    lib.fill_int(ctypes.byref(v), 42)
    assert v.value == 42
    lib.fill_int(ctypes.pointer(v), 43)
    assert v.value == 43
    lib.set_pair.restype = None
    lib.set_pair.argtypes = [ctypes.POINTER(IntPair), ctypes.c_int, ctypes.c_int]
    p = IntPair()
    lib.set_pair(ctypes.byref(p), 3, 4)
    assert (p.x, p.y) == (3, 4)
    lib.swap_pair.restype = IntPair
    lib.swap_pair.argtypes = [IntPair]
    q = lib.swap_pair(IntPair(1, 2))
    assert isinstance(q, IntPair)
    assert (q.x, q.y) == (2, 1)
    # Mixed is 20 bytes for the library (i386 aligns doubles to 4) and 24 here.
    lib.mixed_sum.restype = ctypes.c_double
    lib.mixed_sum.argtypes = [Mixed]
    assert lib.mixed_sum(Mixed(1, 2.5, 1 << 40)) == 1 + 2.5 + (1 << 40)
    lib.mixed_sum_ptr.restype = ctypes.c_double
    lib.mixed_sum_ptr.argtypes = [ctypes.POINTER(Mixed)]
    assert lib.mixed_sum_ptr(Mixed(2, 0.5, 3)) == 5.5  # read-only, by its fields
    lib.make_mixed.restype = Mixed
    lib.make_mixed.argtypes = [ctypes.c_int, ctypes.c_double, loadlib.c_longlong]
    m = lib.make_mixed(-1, 0.25, 1 << 35)
    assert (m.a, m.b, m.c) == (-1, 0.25, 1 << 35)
    lib.is_null.argtypes = [ctypes.c_void_p]
    assert lib.is_null(None) == 1


def test_shared_arrays_are_zero_copy(lib: CDLL32) -> None:
    """The library writes a shared array in place: declared read-only here (the
    library really writes it), a copied array would not change, a shared one does."""
    x = lib.alloc_array(1000)
    x[:] = np.arange(1000.0)
    readonly = x.view()
    readonly.flags.writeable = False
    lib.scale.restype = None
    lib.scale.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.c_int]
    copied = np.arange(1000.0)
    copied.flags.writeable = False
    lib.scale(3.0, copied, 1000)
    assert copied[999] == 999.0  # the library wrote into the request's copy
    lib.scale(3.0, readonly, 1000)
    assert x[999] == 2997.0  # ... and straight into the shared memory
    lib.scale(0.5, x, 1000)  # writable: in place too
    assert x[999] == 1498.5
    lib.sum.restype = ctypes.c_double
    lib.sum.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.c_int]
    assert lib.sum(x, 1000) == 1.5 * 999 * 1000 / 2


def test_in_place_on_shared_memory(cpp: CDLL32) -> None:
    sm = cpp.scalar_multiply
    sm.restype = None
    sm.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    s = cpp.alloc_array(5)
    s[:] = [1.0, 2.0, 3.0, 4.0, 5.0]
    sm(2.0, s, 5, s)  # the same shared array twice: the library reads and writes it in place
    assert s.tolist() == [2.0, 4.0, 6.0, 8.0, 10.0]
    out = np.zeros(3)
    sm(10.0, s[1:4], 3, out)  # a slice of shared memory goes as a copy
    assert out.tolist() == [40.0, 60.0, 80.0]
    sm(10.0, s[1:4], 3, s)  # ... read before the library writes the shared array
    assert s.tolist()[:3] == [40.0, 60.0, 80.0]


def test_errors(lib: CDLL32) -> None:
    with pytest.raises(AttributeError, match="no_such_function"):
        lib.no_such_function  # noqa: B018
    assert not hasattr(lib, "also_missing")
    lib.add.argtypes = [ctypes.c_int, ctypes.c_int]
    with pytest.raises(TypeError, match="at least 2 arguments"):
        lib.add(1)
    with pytest.raises(loadlib.ArgumentError, match="does not fit"):
        lib.add(1 << 40, 1)
    with pytest.raises(ctypes.ArgumentError):
        lib.add("one", 1)
    with pytest.raises(loadlib.ArgumentError, match="address"):
        lib.fill_int.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        lib.fill_int(1234, 1)
    assert lib.add(2, 3) == 5  # the server lives on


def test_crash_is_an_error(test_lib: str) -> None:
    lib = CDLL32(test_lib)
    with pytest.raises(loadlib.ServerCrashedError) as e:
        lib.crash()
    assert e.value.signal == 11
    with pytest.raises(loadlib.Server32Error, match="closed"):
        lib.add(1, 2)
    lib.close()


def test_timeout(test_lib: str) -> None:
    lib = CDLL32(test_lib, rpc_timeout=0.3)
    lib.sleep_ms.restype = None
    with pytest.raises(loadlib.ResponseTimeoutError):
        lib.sleep_ms(3000)
    lib.close()


def test_rebinding(lib: CDLL32) -> None:
    f = lib.twice64
    f.argtypes = [loadlib.c_longlong]
    f.restype = loadlib.c_longlong
    assert f(21) == 42
    f.restype = ctypes.c_int32  # the low half, as a 32-bit caller reads it
    assert f(21) == 42
    f.restype = loadlib.c_longlong
    assert f(1 << 40) == 1 << 41
    assert math.isclose(2.0, 2.0)


def test_stdcall(test_lib: str) -> None:
    with loadlib.WinDLL32(test_lib) as lib:
        f = lib.add_stdcall
        f.argtypes = [ctypes.c_int, ctypes.c_int]
        for i in range(100):  # a wrong convention would unbalance the stack at once
            assert f(i, 1) == i + 1


def test_shared_array_of_another_client_is_copied(lib: CDLL32, test_lib: str) -> None:
    with CDLL32(test_lib) as other:
        x = other.alloc_array(10)
        x[:] = 1.0
        lib.scale.restype = None
        lib.scale.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.c_int]
        lib.scale(5.0, x, 10)  # writable: copied there and back
        assert x.tolist() == [5.0] * 10
