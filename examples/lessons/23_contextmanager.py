"""Lesson 23: a context manager from a generator with ``@contextmanager``.

A context manager is what ``with`` works with: a class with ``__enter__``
(runs at the start of the block, its return value goes to ``as``) and
``__exit__`` (runs at the end of the block, even after an exception).

``contextlib.contextmanager`` turns a GENERATOR FUNCTION with one ``yield``
into a context manager:

* everything BEFORE ``yield`` is ``__enter__``;
* the yielded value is what ``as`` receives;
* everything AFTER ``yield`` is ``__exit__``.

An exception raised in the ``with`` block is re-raised INSIDE the generator
at the ``yield``, so ``try/finally`` around the ``yield`` makes the clean-up
run in any case.

No asyncio here; lesson 24 does the same for ``async with``.
"""

import os
import tempfile
from contextlib import contextmanager


class OpenFile:
    """The class way: __enter__ and __exit__."""

    def __init__(self, path, mode):
        self.path = path
        self.mode = mode

    def __enter__(self):
        print('  __enter__: opening the file')
        self.file = open(self.path, self.mode)
        return self.file

    def __exit__(self, exc_type, exc, tb):
        print('  __exit__: closing the file')
        self.file.close()
        return False                       # do not suppress exceptions


@contextmanager
def open_file(path, mode):
    """The same with @contextmanager."""
    print('  before yield (= __enter__): opening the file')
    file = open(path, mode)
    try:
        yield file                         # the value for "as"
    finally:
        print('  after yield (= __exit__): closing the file')
        file.close()


@contextmanager
def announce(name):
    print('  enter', name)
    try:
        yield
    except ZeroDivisionError as e:
        print('  {} handled {!r}; the exception is suppressed'.format(name, e))
    else:
        print('  exit', name, 'normally')


with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, 'lesson23.txt')

    print('--- a class with __enter__/__exit__ ---')
    with OpenFile(path, 'w') as f:
        print('  inside the block: writing')
        f.write('hello\n')
    print('file closed:', f.closed)

    print('--- the same with @contextmanager ---')
    with open_file(path, 'r') as f:
        print('  inside the block: read', repr(f.read()))
    print('file closed:', f.closed)

    print('--- an exception in the block: the clean-up still runs ---')
    try:
        with open_file(path, 'r') as f:
            raise RuntimeError('something went wrong')
    except RuntimeError as e:
        print('caught', repr(e), '- file closed:', f.closed)

    print('--- catching the exception at the yield suppresses it ---')
    with announce('block 1'):
        print('  inside block 1')
    with announce('block 2'):
        print('  inside block 2: dividing by zero')
        1 / 0
    print('the program goes on')
