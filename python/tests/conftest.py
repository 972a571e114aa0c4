"""Fixtures: the 32-bit libraries the tests call (built here with gcc/g++ -m32), and the
servers they run against.

The package under test is the *installed* one (the wheel in a virtual environment), so
run pytest from outside python/ (CI: `cd /tmp && venv/bin/pytest <repo>/python/tests`).
With LOADLIB_PYTEST_STRICT=1 (CI) a missing prerequisite fails instead of skipping.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STRICT = os.environ.get("LOADLIB_PYTEST_STRICT") == "1"


def missing(why: str) -> None:
    if STRICT:
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def lib_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lib32")


def compile32(src: Path, out: Path) -> Path:
    compiler = "g++" if src.suffix == ".cpp" else "gcc"
    try:
        subprocess.run([compiler, "-m32", "-shared", "-fPIC", "-O1", "-o", str(out), str(src)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        missing(f"cannot build a 32-bit library with {compiler} -m32 (gcc-multilib, g++-multilib): {e}")
    return out


@pytest.fixture(scope="session")
def test_lib(lib_dir: Path) -> str:
    """tests/csrc/pytest_lib.c, 32-bit."""
    return str(compile32(HERE / "csrc" / "pytest_lib.c", lib_dir / "pytest_lib32.so"))


@pytest.fixture(scope="session")
def cpp_lib(lib_dir: Path) -> str:
    """The original tool's C++ example library (server32/csrc/cpp_lib32.cpp), 32-bit."""
    src = REPO / "server32" / "csrc" / "cpp_lib32.cpp"
    if not src.is_file():
        missing(f"{src} is not there (run the tests from the repository)")
    return str(compile32(src, lib_dir / "cpp_lib32.so"))


@pytest.fixture(scope="session")
def rust_server() -> str:
    """A loadlib server written in Rust with several modules (`server32`, i686):
    $LOADLIB_TEST_SERVER32, or the one `cargo test` puts in target/debug."""
    candidates = [os.environ.get("LOADLIB_TEST_SERVER32", ""), str(REPO / "target" / "debug" / "server32"), str(REPO / "python" / "target" / "i686-unknown-linux-gnu" / "debug" / "server32")]
    for c in candidates:
        if c and Path(c).is_file():
            return c
    missing("no 32-bit server32 (build it with `cargo test --workspace`, or set LOADLIB_TEST_SERVER32)")
    return ""
