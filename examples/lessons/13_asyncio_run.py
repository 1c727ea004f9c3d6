"""Lesson 13: what ``asyncio.run(main())`` does.

1. creates a new event loop and makes it the current one;
2. wraps main() in a Task;
3. runs the loop until that Task is done (awaits it);
4. closes the loop.

``asyncio.run`` has ONE main task.  When it finishes, every other task that
is still running is cancelled (they get ``CancelledError``), and only then
is the loop closed.  So a background task must be awaited by main() if its
work matters.

Below: first a hand-made ``my_run()`` that does these steps with the loop's
own methods, then the real ``asyncio.run`` with a background task that is
still running when main() returns.
"""

import asyncio


async def background(name, steps):
    try:
        for i in range(1, steps + 1):
            print('{}: step {}'.format(name, i))
            await asyncio.sleep(0.1)
        print('{}: finished'.format(name))
    except asyncio.CancelledError:
        print('{}: cancelled because main() has finished'.format(name))
        raise


async def main():
    # Not awaited: it runs only while main() runs.
    asyncio.create_task(background('background', 10))
    await asyncio.sleep(0.25)
    print('main: done, returning')
    return 'result of main'


def my_run(coro):
    """A simplified asyncio.run()."""
    loop = asyncio.new_event_loop()              # 1. create a loop
    asyncio.set_event_loop(loop)
    try:
        main_task = loop.create_task(coro)       # 2. wrap main in a Task
        result = loop.run_until_complete(main_task)   # 3. run until it is done
        # The remaining tasks are cancelled, and we let them handle it.
        others = asyncio.all_tasks(loop)
        print('my_run: main is done, cancelling {} other task(s)'.format(len(others)))
        for task in others:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*others, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        return result
    finally:
        asyncio.set_event_loop(None)
        loop.close()                             # 4. close the loop
        print('my_run: loop closed:', loop.is_closed())


print('--- a hand-made asyncio.run ---')
print('returned:', my_run(main()))

print('--- the real asyncio.run ---')
print('returned:', asyncio.run(main()))
