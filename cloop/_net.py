"""Networking on cloop's loop: the orchestration half of issue 4.

NetworkMixin is a base of cloop.Loop; the hot paths (transports, sock_*)
are in C (csrc/stream.c, csrc/loop_io.c ...).
"""


class NetworkMixin:
    """Networking methods of cloop.Loop (filled in by the networking work)."""

    __slots__ = ()
