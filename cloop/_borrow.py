"""Taking asyncio's own methods onto cloop's Loop, loudly.

cloop.Loop and its mixins reuse asyncio's orchestration code (BaseEventLoop's
run_until_complete, create_connection, subprocess_exec...) by copying the
functions into their class bodies, so that messages and per-version
behaviour are asyncio's exactly. borrow() is the one way to do it: every
name must be defined by the class it is taken from, on the running Python,
or the import fails. A Python that renames or drops one must fail here, not
fall back silently to AbstractEventLoop's NotImplementedError stub in a
user's program.

BORROWED records what was taken, for the test that checks each borrowed
function only touches private attributes cloop's Loop has.
"""

# (class taken from, name, function), in the order borrowed.
BORROWED = []


def borrow(namespace, cls, names):
    """Copy cls's own definitions of `names` into a class body's namespace
    (pass locals()). ImportError when cls does not define one itself."""
    own = vars(cls)
    missing = [name for name in names if name not in own]
    if missing:
        raise ImportError(
            f"cloop: {cls.__module__}.{cls.__qualname__} has no "
            f"{', '.join(missing)} on this Python; cloop reuses them and "
            f"needs updating for it")
    for name in names:
        namespace[name] = own[name]
        BORROWED.append((cls, name, own[name]))
