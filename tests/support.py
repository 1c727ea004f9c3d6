"""Helpers shared by the test modules (fixtures live in conftest.py)."""
import gc
import socket
import sys

PY312 = sys.version_info >= (3, 12)
PY313 = sys.version_info >= (3, 13)
PY314 = sys.version_info >= (3, 14)


def drain(loop, iterations=3):
    """Run a few loop iterations (callbacks scheduled by callbacks included)."""
    for _ in range(iterations):
        loop.stop()
        loop.run_forever()


def collect():
    """Collect garbage until cycles freed by finalizers are gone too."""
    for _ in range(3):
        gc.collect()


def free_tcp_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
