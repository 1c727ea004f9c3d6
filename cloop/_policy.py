"""cloop's event loop policy and install() (Python 3.11 to 3.15).

Policies are deprecated from Python 3.14 and gone in 3.16: there
`EventLoopPolicy` and `install` warn as asyncio's own policy names do, and
where the policy system is gone they do not exist. Everything else of
cloop works without them (loop_factory, cloop.run, python -m cloop).
"""
from . import _compat
from ._loop import Loop

if _compat.HAS_POLICIES:
    class EventLoopPolicy(_compat.DefaultPolicyBase):
        """asyncio's default Unix policy, creating cloop loops.

        set_event_loop() still accepts any asyncio loop, and on Python 3.11
        and 3.12 the child-watcher API keeps working, because everything but
        the loop factory is asyncio's own policy.
        """

        _loop_factory = Loop

        def __repr__(self):
            return f"<{type(self).__name__}>"

    def install():
        """Make asyncio create cloop loops (sets cloop's policy)."""
        _compat.warn_policy_deprecated("cloop.install")
        _compat.set_event_loop_policy(EventLoopPolicy())
