"""The original tool and loadlib side by side, in one Python process and run.

    python python/bench/side_by_side.py [--quick]

Needs the loadlib wheel and msl-loadlib 1.1.0 installed (pip install
msl-loadlib==1.1.0). For each case it prints the median of several timings:

- msl-loadlib 1.1.0: its own example client `Cpp64` (msl.examples.loadlib), whose
  32-bit server hosts its example module `Cpp32` over the C++ library cpp_lib32.so;
- loadlib Client64: the same `Cpp32` module, copied with its import line changed
  (`from loadlib import Server32`), hosted in loadlib's server with embedded CPython;
- loadlib CDLL32: the same library's functions declared with ctypes, no server code;
  scalar_multiply with numpy arrays (copied both ways), and with arrays in shared memory
  (nothing copied).
"""

from __future__ import annotations

import ctypes
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import loadlib

QUICK = "--quick" in sys.argv
N = 10**6


def median_time(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def fmt(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.1f} µs"


def main() -> None:
    from msl.examples.loadlib import Cpp64  # noqa: PLC0415
    import msl.examples.loadlib as examples  # noqa: PLC0415
    from msl.loadlib import __version__ as msl_version  # noqa: PLC0415

    tmp = Path(tempfile.mkdtemp(prefix="loadlib-bench-"))
    src = Path(examples.__file__).parent
    for name in ("cpp32.py", "cpp_lib32.so"):
        shutil.copy(src / name, tmp / name)
    (tmp / "cpp32.py").write_text((tmp / "cpp32.py").read_text().replace("from msl.loadlib import", "from loadlib import"))
    lib_path = str(tmp / "cpp_lib32.so")

    starts = 3 if QUICK else 7
    calls = 200 if QUICK else 2000
    msl_calls = 50 if QUICK else 300
    big = 2 if QUICK else 5
    x_list = [float(i) for i in range(N)]
    x_np = np.arange(N, dtype=np.float64)
    rows = []

    # -- start-up: constructor until the server answers, then shut down ----------------
    def msl_start():
        c = Cpp64()
        c.add(1, 1)
        c.shutdown_server32()

    def ours_start():
        c = loadlib.Client64("cpp32", append_sys_path=tmp)
        c.request32("add", 1, 1)
        c.shutdown_server32()

    def cdll_start():
        lib = loadlib.CDLL32(lib_path)
        lib.add(1, 1)
        lib.close()

    rows.append(("start-up (start, first reply, shut down)", median_time(msl_start, starts), median_time(ours_start, starts), median_time(cdll_start, starts), None))

    msl = Cpp64()
    ours = loadlib.Client64("cpp32", append_sys_path=tmp)
    lib = loadlib.CDLL32(lib_path)
    lib.add.restype = ctypes.c_int
    lib.add.argtypes = [ctypes.c_int, ctypes.c_int]
    sm = lib.scalar_multiply
    sm.restype = None
    sm.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    assert msl.add(1, 2) == ours.request32("add", 1, 2) == lib.add(1, 2) == 3

    # -- add -------------------------------------------------------------------------
    rows.append(("`add(1, 2)`", median_time(lambda: msl.add(1, 2), msl_calls), median_time(lambda: ours.request32("add", 1, 2), calls), median_time(lambda: lib.add(1, 2), calls), None))

    # -- scalar_multiply of 10^6 doubles ------------------------------------------------
    out_np = np.empty(N)
    shared_x = lib.alloc_array(N)
    shared_x[:] = x_np
    shared_out = lib.alloc_array(N)
    check = msl.scalar_multiply(2.0, x_list)
    assert check[-1] == 2.0 * (N - 1)
    assert ours.request32("scalar_multiply", 2.0, x_list)[-1] == 2.0 * (N - 1)
    sm(2.0, x_np, N, out_np)
    sm(2.0, shared_x, N, shared_out)
    assert out_np[-1] == shared_out[-1] == 2.0 * (N - 1)
    rows.append((
        "`scalar_multiply` 10^6 doubles (a list each way)",
        median_time(lambda: msl.scalar_multiply(2.0, x_list), big),
        median_time(lambda: ours.request32("scalar_multiply", 2.0, x_list), big),
        None,
        None,
    ))
    rows.append((
        "`scalar_multiply` 10^6 doubles (numpy arrays, copied)",
        None,
        median_time(lambda: ours.request32("scalar_multiply", 2.0, x_np), big),
        median_time(lambda: sm(2.0, x_np, N, out_np), big * 4),
        None,
    ))
    rows.append((
        "`scalar_multiply` 10^6 doubles (arrays in shared memory)",
        None,
        None,
        median_time(lambda: sm(2.0, shared_x, N, shared_out), big * 4),
        None,
    ))
    msl.shutdown_server32()
    ours.shutdown_server32()
    lib.close()

    print(f"msl-loadlib {msl_version}, loadlib {loadlib.__version__}, Python {sys.version.split()[0]}, N = {N}")
    print()
    print("| case | msl-loadlib 1.1.0 `Cpp64` | loadlib `Client64` + the same `Cpp32` | loadlib `CDLL32` | msl / best loadlib |")
    print("|---|---|---|---|---|")
    for name, m, o, c, _ in rows:
        best = min(v for v in (o, c) if v is not None)
        r = m / best if m is not None else None
        ratio = "-" if r is None else f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×"
        print(f"| {name} | {fmt(m)} | {fmt(o)} | {fmt(c)} | {ratio} |")


if __name__ == "__main__":
    main()
