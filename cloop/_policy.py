"""cloop's event loop policy and install()."""
from . import _compat
from ._loop import Loop


class EventLoopPolicy(_compat.DefaultPolicyBase):
    """asyncio's default Unix policy, creating cloop loops.

    set_event_loop() still accepts any asyncio loop, and on Python 3.11 and
    3.12 the child-watcher API keeps working, because everything but the
    loop factory is asyncio's own policy.
    """

    _loop_factory = Loop

    def __repr__(self):
        return f"<{type(self).__name__}>"


def install():
    """Make asyncio create cloop loops (sets cloop's policy)."""
    _compat.set_event_loop_policy(EventLoopPolicy())
