"""A Server32 module for the tests: runs in the 32-bit server's embedded CPython."""

import ctypes
import sys
import time

from loadlib import Server32


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]


class Tagged:
    """Neither a number, a string, a container nor an array: travels pickled."""

    def __init__(self, tag):
        self.tag = tag


class PyServer(Server32):
    def __init__(self, host, port, **kwargs):
        if kwargs.get("fail"):
            raise RuntimeError("failing on purpose: " + kwargs["fail"])
        if kwargs.get("sleep"):
            print("sleeping", flush=True)
            time.sleep(float(kwargs["sleep"]))
        super().__init__(kwargs["lib"], "cdll", host, port)
        self.kwargs = kwargs
        self.greeting = "hello"
        self.lib.add.argtypes = [ctypes.c_int, ctypes.c_int]
        self.lib.scale.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.c_int]
        self.lib.scale.restype = None
        print("server up")

    def add(self, a, b):
        return self.lib.add(a, b)

    def info(self):
        return {
            "pointer_bits": ctypes.sizeof(ctypes.c_void_p) * 8,
            "is_interpreter": Server32.is_interpreter(),
            "maxsize_is_32_bit": sys.maxsize < 2**32,
            "kwargs": self.kwargs,
        }

    def with_kwargs(self, a, *, scale=1, offset=0):
        return a * scale + offset

    def divide(self, a, b):
        return a / b

    def types(self, *args):
        return [type(a).__name__ for a in args]

    def echo(self, *args):
        return args

    def total(self, x):
        return sum(x)

    def scale_in_place(self, k, x):
        n = len(x)
        self.lib.scale(k, (ctypes.c_double * n).from_buffer(x), n)

    def make_array(self, n):
        return (ctypes.c_double * n)(*range(n))

    def make_point(self, x, y):
        return Point(x, y)

    def point_sum(self, p):
        return p.x + p.y

    def make_tagged(self, tag):
        return Tagged(tag)

    def deep(self, n):
        x = []
        for _ in range(n):
            x = [x]
        return x

    def shutdown_handler(self):
        print("shutting down")
