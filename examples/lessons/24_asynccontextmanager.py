"""Lesson 24: an asynchronous context manager with ``@asynccontextmanager``.

Lesson 14 wrote ``__aenter__``/``__aexit__`` by hand; lesson 23 turned a
generator into a context manager with ``@contextmanager``.  Put together:
``contextlib.asynccontextmanager`` turns an ASYNC generator function with
one ``yield`` into an asynchronous context manager for ``async with``:

* everything before ``yield`` is ``__aenter__`` (and may ``await``);
* the yielded value is what ``as`` receives;
* everything after ``yield`` is ``__aexit__`` (and may ``await``).

As in lesson 23, ``try/finally`` around the ``yield`` makes the clean-up run
even when the block raises.
"""

import asyncio
from contextlib import asynccontextmanager


class Connection:
    def __init__(self, name):
        self.name = name
        self.open = True

    async def query(self, text):
        await asyncio.sleep(0.05)
        return '{} answered {!r}'.format(self.name, text)


@asynccontextmanager
async def connect(name):
    print('  before yield (= __aenter__): connecting to', name)
    await asyncio.sleep(0.1)                # e.g. a TCP handshake
    conn = Connection(name)
    try:
        yield conn                          # the value for "as"
    finally:
        print('  after yield (= __aexit__): disconnecting from', name)
        await asyncio.sleep(0.1)            # e.g. a polite goodbye
        conn.open = False


async def main():
    print('--- normal use ---')
    async with connect('db') as conn:
        print('  inside the block:', await conn.query('SELECT 1'))
    print('open after the block:', conn.open)

    print('--- an exception in the block ---')
    try:
        async with connect('db') as conn:
            raise ValueError('bad query')
    except ValueError as e:
        print('caught', repr(e), '- open after the block:', conn.open)

    print('--- several connections at once ---')

    async def ask(name):
        async with connect(name) as conn:
            return await conn.query('ping')

    print(await asyncio.gather(ask('first'), ask('second')))


asyncio.run(main())

# The closing note of the course
# ------------------------------
# asyncio.Task is a wrapper around a coroutine that schedules the coroutine
# to run on the event loop.  The Task also lets us cancel the coroutine, for
# example when it runs too long (lessons 10-12, 20, 21).  A bare coroutine
# object cannot be cancelled: only once it is wrapped in a Task
# (asyncio.create_task, ensure_future, gather, wait_for, TaskGroup...) does
# it get cancel(), a state, a name and a result to wait for.
