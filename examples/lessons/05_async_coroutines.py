"""Lesson 5: coroutines built from generators.

A coroutine ("subroutine that can pause") is a generator that mostly RECEIVES
values: ``x = yield`` waits for ``g.send(value)``.  Three methods drive it:

* ``g.send(value)``  - resume it, ``value`` becomes the result of ``yield``;
* ``g.throw(exc)``   - resume it by raising ``exc`` at the paused ``yield``;
* ``g.close()``      - raise ``GeneratorExit`` at the paused ``yield``.

Before the first ``send`` a generator must be *primed* with ``next(g)`` (or
``g.send(None)``) so that it runs up to its first ``yield``.  A decorator can
do that for us - that is the ``coroutine`` decorator below.

The example coroutine computes a running average of the numbers sent to it.
"""

from inspect import getgeneratorstate


def coroutine(func):
    """Decorator: create the generator and prime it (run to the first yield)."""
    def inner(*args, **kwargs):
        g = func(*args, **kwargs)
        g.send(None)                       # the same as next(g)
        return g
    return inner


print('--- priming by hand ---')


def subgen():
    x = 'Ready to accept message'
    message = yield x                      # hands x out, waits for send()
    print('subgen received:', message)


g = subgen()
print(getgeneratorstate(g))                # GEN_CREATED: not started yet
print(next(g))                             # runs up to the yield
print(getgeneratorstate(g))                # GEN_SUSPENDED: paused at yield
try:
    g.send('Ok')                           # resumes; the body then ends...
except StopIteration:
    print('StopIteration: subgen has no more yields')   # ...StopIteration
print(getgeneratorstate(g))                # GEN_CLOSED


print('--- a running average with the priming decorator ---')


class BlaBlaException(Exception):
    pass


@coroutine
def average():
    count = 0
    total = 0
    average = None

    while True:
        try:
            x = yield average              # give out the average, get a number
        except StopIteration:
            print('average: Done')
            break
        except BlaBlaException:
            print('average: BlaBlaException was thrown in, stopping')
            break
        else:
            count += 1
            total += x
            average = round(total / count, 2)

    return average                         # travels out inside StopIteration


g = average()                              # already primed by the decorator
print(getgeneratorstate(g))
print(g.send(5))
print(g.send(6))
print(g.send(10))

# throw(): the exception appears at the paused "yield" inside the generator.
try:
    g.throw(StopIteration)
except StopIteration as e:
    print('the coroutine returned:', e.value)

g = average()
g.send(1)
g.send(2)
try:
    g.throw(BlaBlaException())
except StopIteration as e:
    print('the coroutine returned:', e.value)


print('--- close() ---')


@coroutine
def listener():
    try:
        while True:
            message = yield
            print('listener got', message)
    finally:
        # close() raises GeneratorExit at the yield; finally still runs.
        print('listener: closed, cleaning up')


g = listener()
g.send('one')
g.send('two')
g.close()
print(getgeneratorstate(g))
