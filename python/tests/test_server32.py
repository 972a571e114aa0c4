"""Server32 modules in the 32-bit server's embedded CPython (loadlib-server32-python)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import loadlib
from loadlib import Client64

from conftest import missing

SERVERS = Path(__file__).resolve().parent / "servers"
PY_SERVER = str(SERVERS / "py_server.py")


@pytest.fixture(scope="module")
def client(test_lib: str):
    with Client64(PY_SERVER, lib=test_lib, answer=42) as c:
        yield c


def test_the_original_example_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The original tool's MyServer / MyClient from its documentation, with only the
    import line changed (`from msl.loadlib import` → `from loadlib import`)."""
    (tmp_path / "my_lib.c").write_text("int add(int a, int b) { return a + b; }\nint version(void) { return 3; }\n")
    # The documentation's library is 'my_lib.dll'; dlopen does not mind the name.
    subprocess.run(["gcc", "-m32", "-shared", "-fPIC", "-o", str(tmp_path / "my_lib.dll"), str(tmp_path / "my_lib.c")], check=True)
    (tmp_path / "my_server.py").write_text(textwrap.dedent('''\
        # my_server.py

        from loadlib import Server32

        class MyServer(Server32):
            """Wrapper around a 32-bit C++ library 'my_lib.dll' that has an 'add' and 'version' function."""

            def __init__(self, host, port, **kwargs):
                # Load the 'my_lib' shared-library file using ctypes.CDLL
                super(MyServer, self).__init__('my_lib.dll', 'cdll', host, port)

                # The Server32 class has a 'lib' property that is a reference to the ctypes.CDLL object

                # Call the version function from the library
                self.version = self.lib.version()

            def add(self, a, b):
                # The Server32 class has a 'lib' property that is a reference to the ctypes.CDLL object.
                # The shared library's 'add' function takes two integers as inputs and returns the sum.
                return self.lib.add(a, b)
        '''))
    (tmp_path / "my_client.py").write_text(textwrap.dedent('''\
        # my_client.py

        from loadlib import Client64

        class MyClient(Client64):
            """Call a function in 'my_lib.dll' via the 'MyServer' wrapper."""

            def __init__(self):
                # Specify the name of the Python module to execute on the 32-bit server (i.e., 'my_server')
                super(MyClient, self).__init__(module32='my_server')

            def add(self, a, b):
                # The Client64 class has a 'request32' method to send a request to the 32-bit server.
                # Send the 'a' and 'b' arguments to the 'add' method in MyServer.
                return self.request32('add', a, b)
        '''))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    from my_client import MyClient  # noqa: PLC0415

    c = MyClient()
    assert c.add(1, 2) == 3
    assert c.request32("version") == 3
    assert c.lib32_path == str(tmp_path / "my_lib.dll")
    c.shutdown_server32()


def test_the_original_cpp_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """msl-loadlib 1.1.0's own Cpp64 / Cpp32 example, import lines changed."""
    try:
        import msl.examples.loadlib as examples  # noqa: PLC0415
    except ImportError:
        missing("msl-loadlib 1.1.0 is not installed (pip install msl-loadlib==1.1.0)")
    src = Path(examples.__file__).parent
    for name in ("cpp32.py", "cpp64.py", "cpp_lib32.so"):
        shutil.copy(src / name, tmp_path / name)
    for name in ("cpp32.py", "cpp64.py"):
        p = tmp_path / name
        p.write_text(p.read_text().replace("from msl.loadlib import", "from loadlib import"))
    monkeypatch.syspath_prepend(str(tmp_path))
    from cpp32 import FourPoints, Point  # noqa: PLC0415
    from cpp64 import Cpp64  # noqa: PLC0415

    c = Cpp64()
    assert c.add(3, 14) == 17
    assert c.subtract(5.5, 1.25) == 4.25
    assert c.add_or_subtract(1.5, 2.5, do_addition=False) == -1.0
    assert c.scalar_multiply(2.0, [1.0, 2.0, 3.0]) == [2.0, 4.0, 6.0]
    assert c.reverse_string_v1("hello") == "olleh"
    assert c.reverse_string_v2("hello") == "olleh"
    square = FourPoints(Point(0, 0), Point(0, 1), Point(1, 1), Point(1, 0))
    assert c.distance_4_points(square) == 4.0  # a ctypes struct, pickled as the original does
    assert abs(c.circumference(1.0, 2000) - 2 * np.pi) < 1e-5
    c.shutdown_server32()


def test_runs_in_32_bits(client: Client64) -> None:
    info = client.request32("info")
    assert info["pointer_bits"] == 32
    assert info["maxsize_is_32_bit"] is True
    assert info["is_interpreter"] is True
    assert info["kwargs"] == {"lib": info["kwargs"]["lib"], "answer": "42"}  # strings
    assert client.request32("add", 40, 2) == 42
    assert client.request32("greeting") == "hello"  # an attribute, not a method
    assert client.request32("with_kwargs", 5, scale=3, offset=1) == 16


def test_values(client: Client64) -> None:
    values = (None, True, 7, -(2**63), 2.5, "héllo", b"\x00b", [1, [2]], {"k": 1})
    assert client.request32("echo", *values) == list(values)
    assert client.request32("types", 1, 1.5, "s", b"b", [1], {"a": 1}, None, True) == ["int", "float", "str", "bytes", "list", "dict", "NoneType", "bool"]
    assert client.request32("types", np.arange(3.0)) == ["memoryview"]
    assert client.request32("total", np.arange(10.0)) == 45.0
    # Long lists of numbers travel packed as arrays, and arrive as lists (of their type).
    floats = [float(i) for i in 10**6 * [1]]
    assert client.request32("types", floats, list(range(10**6))) == ["list", "list"]
    back = client.request32("echo", floats, list(range(100)), [1.5] * 20 + ["x"])
    assert back == [floats, list(range(100)), [1.5] * 20 + ["x"]]
    assert type(back[0][0]) is float
    assert type(back[1][0]) is int
    back = client.request32("make_array", 5)
    assert isinstance(back, np.ndarray)
    assert back.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    sys.path.insert(0, str(SERVERS))
    try:
        import py_server  # noqa: PLC0415

        p = client.request32("make_point", 1.5, 2.0)  # pickled both ways
        assert isinstance(p, py_server.Point)
        assert (p.x, p.y) == (1.5, 2.0)
        assert client.request32("point_sum", py_server.Point(1.0, 0.25)) == 1.25
        assert client.request32("make_tagged", "t").tag == "t"
    finally:
        sys.path.remove(str(SERVERS))


def test_shared_array_written_back(client: Client64) -> None:
    x = client.alloc_array(100)
    x[:] = np.arange(100.0)
    client.request32("scale_in_place", 2.0, x)
    assert x[99] == 198.0
    plain = np.arange(100.0)
    client.request32("scale_in_place", 2.0, plain)
    assert plain[99] == 99.0  # a plain array goes as a copy, as with the original tool


def test_errors(client: Client64) -> None:
    with pytest.raises(loadlib.Server32Error) as e:
        client.request32("divide", 1, 0)
    assert e.value.name == "ZeroDivisionError"
    assert e.value.value == "division by zero"
    assert "return a / b" in e.value.traceback
    with pytest.raises(loadlib.Server32Error) as e:
        client.request32("no_such_method")
    assert e.value.name == "AttributeError"
    with pytest.raises(loadlib.Server32Error) as e:
        client.request32("add", 1)
    assert e.value.name == "TypeError"
    with pytest.raises(loadlib.Server32Error) as e:
        client.request32("deep", 100_000)
    assert e.value.name == "ValueError"
    assert len(str(client.request32("deep", 10))) == 22
    assert client.request32("add", 1, 1) == 2


def test_output_and_shutdown_handler(test_lib: str) -> None:
    c = Client64(PY_SERVER, lib=test_lib)
    assert c.request32("add", 1, 1) == 2
    out, err = c.shutdown_server32()
    assert out.read().decode().splitlines() == ["server up", "shutting down"]
    assert err.read() == b""


def test_startup_errors(test_lib: str) -> None:
    with pytest.raises(loadlib.ConnectionTimeoutError) as e:
        Client64(PY_SERVER, lib=test_lib, fail="no license")
    assert "RuntimeError: failing on purpose: no license" in e.value.reason
    assert "py_server.py" in e.value.reason  # with the traceback
    with pytest.raises(loadlib.ConnectionTimeoutError) as e:
        Client64(PY_SERVER, lib=test_lib, sleep=10, timeout=1)
    assert "Timeout after 1.0" in str(e.value)
    with pytest.raises(loadlib.ConnectionTimeoutError) as e:
        Client64("no_such_module_anywhere")
    assert "ModuleNotFoundError" in e.value.reason
    with pytest.raises(loadlib.ConnectionTimeoutError) as e:
        Client64(str(SERVERS / "__init__.py"))
    assert "does not contain a class that is a subclass of Server32" in e.value.reason


def test_mocked_connection(tmp_path: Path) -> None:
    """host=None: the module runs in this process (the original tool's mock), so with a
    64-bit build of the library."""
    lib64 = tmp_path / "pytest_lib64.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib64), str(Path(__file__).parent / "csrc" / "pytest_lib.c")], check=True)
    c = Client64(PY_SERVER, host=None, lib=str(lib64))
    assert c.request32("add", 1, 2) == 3
    assert c.request32("info")["pointer_bits"] == 64
    assert c.request32("greeting") == "hello"
    assert c.lib32_path == str(lib64)
