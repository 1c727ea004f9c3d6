"""cloop's event loop with asyncio's own C Task and Future: the "cloop_native" column.

Owns: one loop factory, new_event_loop(), for the benchmarks only. The loop
is a cloop.Loop whose create_future() returns an asyncio.Future and whose
create_task() an asyncio.Task (the _asyncio C types) instead of cloop's own
Future and Task. Everything else (the scheduler, call_soon, timers, the run
loop) is cloop's, so cloop/cloop_native is what cloop's own Task and Future
buy over asyncio's native ones on the same loop.

The two overrides are Python methods, where cloop.Loop's are C functions:
each create_task() / create_future() call pays a Python-level call (a frame
and the keyword handling) that a C path would not. That is a small overhead
per task or future, counted against cloop_native. Futures and tasks that
asyncio makes without asking the loop (gather's outer future, for one) are
asyncio's on both loops.

With a task factory set (loop.set_task_factory), create_task() is cloop's
own, which calls the factory as asyncio's create_task of the running Python
does; the factory decides the task type then.
"""

import asyncio

import cloop

__version__ = cloop.__version__ + " (asyncio.Task, asyncio.Future)"


class NativeTaskLoop(cloop.Loop):
    """A cloop.Loop whose tasks and futures are asyncio.Task and asyncio.Future."""

    def create_future(self):
        return asyncio.Future(loop=self)

    def create_task(self, coro, *, name=None, context=None, **kwargs):
        if self.get_task_factory() is not None:
            # cloop's C create_task runs the factory as asyncio's does.
            return super().create_task(coro, name=name, context=context, **kwargs)
        self._check_closed()
        return asyncio.Task(coro, loop=self, name=name, context=context, **kwargs)


def new_event_loop():
    return NativeTaskLoop()
