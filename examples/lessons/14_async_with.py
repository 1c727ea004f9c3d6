"""Lesson 14: ``async with`` - the asynchronous context manager.

A normal context manager (``with``) has ``__enter__`` and ``__exit__``.  When
entering or leaving needs to WAIT for something - open a network connection,
flush data, take a lock - those methods must be coroutines, so the class
defines ``__aenter__`` and ``__aexit__`` instead, and we use ``async with``
(only inside ``async def``).

* ``__aenter__(self)`` runs at the start of the block; what it returns is
  bound by ``as``;
* ``__aexit__(self, exc_type, exc, tb)`` runs at the end of the block, even
  when the block raised.  The three arguments describe the exception (all
  None if there was none); returning True suppresses the exception.
"""

import asyncio


class AsyncConnection:
    """Pretends to be a network connection that takes time to open/close."""

    def __init__(self, name):
        self.name = name
        self.is_open = False

    async def __aenter__(self):
        print('{}: connecting...'.format(self.name))
        await asyncio.sleep(0.1)              # e.g. a TCP handshake
        self.is_open = True
        print('{}: connected'.format(self.name))
        return self                           # bound by "as"

    async def __aexit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print('{}: leaving because of {}: {}'.format(
                self.name, exc_type.__name__, exc))
        print('{}: closing...'.format(self.name))
        await asyncio.sleep(0.1)              # e.g. a polite goodbye
        self.is_open = False
        print('{}: closed'.format(self.name))
        return False                          # do not suppress exceptions

    async def query(self, text):
        await asyncio.sleep(0.05)
        return 'answer to {!r}'.format(text)


async def main():
    print('--- normal use ---')
    async with AsyncConnection('db') as conn:
        print('inside the block, open:', conn.is_open)
        print(await conn.query('SELECT 1'))
    print('after the block, open:', conn.is_open)

    print('--- an exception inside the block ---')
    try:
        async with AsyncConnection('db') as conn:
            raise ValueError('bad query')
    except ValueError as e:
        print('main caught ValueError:', e)
    print('after the block, open:', conn.is_open)

    print('--- two connections entered concurrently ---')

    async def use(name):
        async with AsyncConnection(name) as conn:
            return await conn.query(name)

    print(await asyncio.gather(use('first'), use('second')))


asyncio.run(main())
