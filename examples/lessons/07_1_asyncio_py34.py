"""Lesson 7.1: asyncio in the Python 3.4 style.

asyncio is a framework for writing event loops and the coroutines they run.
In Python 3.4 there were no ``async``/``await`` keywords yet; a coroutine was
a generator function marked with a decorator:

* ``@asyncio.coroutine``       - marks a generator function as a coroutine;
* ``yield from``               - runs another coroutine and waits for it
                                 (it is where the coroutine may pause);
* ``asyncio.ensure_future()``  - wraps a coroutine in a Task: puts it in the
                                 event loop's queue to run "in the background";
* ``asyncio.gather(task_1, task_2)`` - waits for several tasks at once;
* ``loop = asyncio.get_event_loop()`` - gets the event loop;
* ``loop.run_until_complete(main())`` - runs the loop until main() is done;
* ``loop.close()``             - closes the loop.

NOTE: ``asyncio.coroutine`` was removed in Python 3.11, so on a stock Python
3.11+ this file stops right at the first decorator with
``AttributeError: module 'asyncio' has no attribute 'coroutine'``.
That is the point of keeping this lesson: run it on the C core with

    python -m cloop examples/lessons/07_1_asyncio_py34.py

which brings ``asyncio.coroutine`` back so that legacy generator-based code
runs unmodified.

One lesson "second" is 0.1 s here so that the script finishes quickly.
"""

import asyncio

SECOND = 0.1


@asyncio.coroutine
def print_nums():
    num = 1
    while num <= 6:
        print(num)
        num += 1
        yield from asyncio.sleep(SECOND)    # pause; the loop runs other tasks


@asyncio.coroutine
def print_time():
    count = 0
    while count < 6:
        if count % 3 == 0:
            print('{} seconds have passed'.format(count))
        count += 1
        yield from asyncio.sleep(SECOND)


@asyncio.coroutine
def main():
    task_1 = asyncio.ensure_future(print_nums())    # scheduled, not run yet
    task_2 = asyncio.ensure_future(print_time())
    yield from asyncio.gather(task_1, task_2)       # wait for both
    print('both tasks are done')


if __name__ == '__main__':
    # In Python 3.4 get_event_loop() created the loop on first use.  Since
    # Python 3.12 that implicit creation gives a DeprecationWarning (and 3.14
    # refuses it), so we create the loop and install it ourselves first;
    # get_event_loop() then returns the loop we installed.
    asyncio.set_event_loop(asyncio.new_event_loop())
    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())
    loop.close()
