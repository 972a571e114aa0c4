"""Client64 against a loadlib server written in Rust (the bundled `server32`)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import loadlib
from loadlib import Client64


@pytest.fixture(scope="module")
def echo(rust_server: str):
    with Client64("echo", server32_exe=rust_server) as c:
        yield c


def test_values_keep_their_types(echo: Client64) -> None:
    values = (None, True, False, 7, -(2**63), 2**64 - 1, 2.5, "héllo", b"\x00bytes", [1, "a", [2.5]], {"k": 1.5, "n": None})
    assert echo.request32("echo", *values) == list(values)
    assert echo.server32_pointer_width == 32


def test_numpy_arrays(echo: Client64) -> None:
    for dtype in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.float32, np.float64):
        a = (np.arange(12) % 100).astype(dtype).reshape(3, 4)
        back = echo.request32("echo", a)
        assert back.dtype == a.dtype
        assert back.shape == (3, 4)
        np.testing.assert_array_equal(back, a)
        assert back.flags.writeable
        assert type(back.base).__name__ == "OwnedBuffer"  # the reply's memory, not copied again
    assert echo.request32("echo", np.arange(10.0)[::2]).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]  # strided
    assert echo.request32("echo", np.float32(2.5)) == 2.5
    with pytest.raises(TypeError, match="dtype"):
        echo.request32("echo", np.array([1 + 2j]))


def test_reply_arrays_outlive_everything(rust_server: str) -> None:
    c = Client64("echo", server32_exe=rust_server)
    back = c.request32("echo", np.arange(1000.0))
    shared = c.alloc_array(100)
    shared[:] = 4.0
    c.shutdown_server32()
    del c
    gc.collect()
    assert back.sum() == 999 * 1000 / 2
    assert shared.sum() == 400.0  # the mapping lives as long as the numpy array


def test_errors(echo: Client64) -> None:
    with pytest.raises(loadlib.Server32Error) as e:
        echo.request32("no_such_method", 1)
    assert e.value.name == "UnknownMethod"
    assert "no_such_method" in e.value.value
    with pytest.raises(loadlib.Server32Error) as e:
        echo.request32("panic", "on purpose")
    assert e.value.name == "Panic"
    with pytest.raises(TypeError, match="Python servers"):
        echo.request32("echo", x=1)
    with pytest.raises(TypeError, match="cannot send"):
        echo.request32("echo", object())
    with pytest.raises(OverflowError):
        echo.request32("echo", 2**64)
    with pytest.raises(TypeError, match="str keys"):
        echo.request32("echo", {1: 2})
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested deeper"):
        echo.request32("echo", deep)
    assert echo.request32("echo", 1) == 1  # still serving


def test_typed_errors_and_shared_arrays(rust_server: str) -> None:
    with Client64("testlib", server32_exe=rust_server) as c:
        assert c.request32("add", 3, 14) == 17
        with pytest.raises(loadlib.Server32Error) as e:
            c.request32("add", 2**31, 1)
        assert e.value.kind == "Overflow"
        assert "does not fit in i32" in e.value.value
        # Zero copy: the server writes the shared array in place. A plain numpy array
        # goes read-only (copied into the request), so the server refuses to write it.
        x = c.alloc_array(1000)
        x[:] = 1.5
        acc = c.alloc_array(1000)
        c.request32("accumulate", x, acc)
        c.request32("accumulate", x, acc)
        assert acc.tolist() == [3.0] * 1000
        with pytest.raises(loadlib.Server32Error, match="writable shared array"):
            c.request32("accumulate", x, np.zeros(1000))
        assert c.request32("sum", x) == 1500.0
        with Client64("testlib", server32_exe=rust_server) as other:
            foreign = other.alloc_array(1000)  # another client's: sent as a copy here
            with pytest.raises(loadlib.Server32Error, match="writable shared array"):
                c.request32("accumulate", x, foreign)
            other.request32("accumulate", x, foreign)
            assert foreign[0] == 1.5
        i32 = c.alloc_array((2, 3), dtype=np.int32)
        assert i32.dtype == np.int32
        assert i32.shape == (2, 3)


def test_kwargs_and_output(rust_server: str) -> None:
    c = Client64("echo", server32_exe=rust_server, greeting="hello", n=3)
    assert c.request32("kwargs") == {"greeting": "hello", "n": "3"}  # strings, as the original
    out, err = c.shutdown_server32()
    assert out.read() == b""
    assert isinstance(err.read(), bytes)
    assert c.shutdown_server32()[0] is out  # again: the same streams
    with pytest.raises(loadlib.Server32Error, match="closed"):
        c.request32("echo", 1)


def test_startup_errors(rust_server: str) -> None:
    with pytest.raises(loadlib.ConnectionTimeoutError) as e:
        Client64("no_such_module", server32_exe=rust_server)
    assert "no_such_module" in e.value.reason
    with pytest.raises(loadlib.ConnectionTimeoutError) as e:
        Client64("testlib", server32_exe=rust_server, stall_ms=5000, timeout=0.5)
    assert "warming up forever" in e.value.reason
    with pytest.raises(OSError):
        Client64("echo", server32_exe="/nonexistent/server32")


def test_response_timeout(rust_server: str) -> None:
    with Client64("testlib", server32_exe=rust_server, rpc_timeout=0.2) as c:
        with pytest.raises(loadlib.ResponseTimeoutError):
            c.request32("sleep_ms", 2000)


def test_crash(rust_server: str) -> None:
    c = Client64("testlib", server32_exe=rust_server)
    with pytest.raises(loadlib.ServerCrashedError) as e:
        c.request32("segfault")
    assert e.value.signal == 11
    c.shutdown_server32()


class Forwarding(Client64):
    """The original tool's tip: every attribute is a request."""

    def __init__(self, exe: str) -> None:
        super().__init__("testlib", server32_exe=exe)

    def __getattr__(self, name: str):
        def send(*args, **kwargs):
            return self.request32(name, *args, **kwargs)

        return send


def test_getattr_forwarding_subclass(rust_server: str) -> None:
    c = Forwarding(rust_server)
    assert c.add(1, 2) == 3
    assert c.sum(np.ones(10)) == 10.0
    assert "pid=" in repr(c)
    c.shutdown_server32()
