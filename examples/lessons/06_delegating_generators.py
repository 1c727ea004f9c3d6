"""Lesson 6: delegating generators and ``yield from``.

When one generator grows too big we split it: a *delegating generator* calls
another generator, the *subgenerator*, and passes everything through:
values sent in, exceptions thrown in, and the subgenerator's final
``return`` value.

First we write the delegation by hand; then ``yield from`` does the same in
one line.  Note the difference: by hand, the subgenerator must be primed
(``next(sub)``) before anything is sent to it; ``yield from`` primes the
subgenerator itself, so we don't.
"""


def coroutine(func):
    """Decorator from lesson 5: create the generator and prime it."""
    def inner(*args, **kwargs):
        g = func(*args, **kwargs)
        g.send(None)
        return g
    return inner


class BlaBlaException(Exception):
    pass


def subgen():
    """The subgenerator: prints the messages, returns a result when stopped."""
    received = 0
    while True:
        try:
            message = yield
        except BlaBlaException:
            break                      # asked to stop
        else:
            received += 1
            print('subgen: .......', message)
    return 'subgen returned: received {} messages'.format(received)


print('--- delegation by hand ---')


@coroutine
def delegator_by_hand(g):
    next(g)                            # by hand we must prime the subgenerator
    while True:
        try:
            data = yield               # take a value from the caller...
            g.send(data)               # ...and pass it on
        except BlaBlaException as e:
            try:
                g.throw(e)             # pass exceptions on as well
            except StopIteration as stop:
                result = stop.value    # the subgenerator's return value
                break
    print('delegator got ->', result)
    return result


sg = subgen()
d = delegator_by_hand(sg)
d.send('ok')
d.send('still ok')
try:
    d.throw(BlaBlaException())
except StopIteration as e:
    print('delegator returned ->', e.value)


print('--- the same with yield from ---')


@coroutine
def delegator(g):
    # "yield from g" primes g, forwards send()/throw()/close() to it, and its
    # value is what g returns.  It replaces the whole loop above.
    result = yield from g
    print('delegator got ->', result)
    return result


sg = subgen()                          # NOT primed: yield from will do it
d = delegator(sg)
d.send('ok')
d.send('still ok')
d.send('one more')
try:
    d.throw(BlaBlaException())
except StopIteration as e:
    print('delegator returned ->', e.value)


print('--- yield from also works with any iterable ---')


def chain(*iterables):
    for it in iterables:
        yield from it                  # like: for x in it: yield x


print(list(chain('ab', range(3))))


print('--- values returned with return ---')


def one_task(n):
    yield 'one_task: step 1 of task {}'.format(n)
    yield 'one_task: step 2 of task {}'.format(n)
    return n * 10                      # the value of "yield from one_task(n)"


def all_tasks():
    total = 0
    for n in (1, 2):
        total += yield from one_task(n)
    return total


g = all_tasks()
while True:
    try:
        print(next(g))
    except StopIteration as e:
        print('all_tasks returned', e.value)
        break
