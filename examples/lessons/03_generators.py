"""Lesson 3: generators, ``next``, ``send`` and a Round Robin scheduler.

A generator function contains ``yield``.  Calling it does NOT run its body:
it returns a generator object.  Each ``next(g)`` runs the body up to the
next ``yield``, hands out the yielded value and FREEZES the function there,
with all its local variables, until the next ``next(g)``.  When the body
ends, ``next`` raises ``StopIteration``.

That "pause here, continue later" is exactly what we need for asynchrony:
several generators can take turns on one thread.  Giving each one a turn in
order, again and again, is called Round Robin.
"""


def gen(s):
    for char in s:
        print('  (gen is running, about to yield {!r})'.format(char))
        yield char


print('--- next() runs a generator step by step ---')
g = gen('abc')
print('created:', type(g).__name__)          # nothing has run yet
print('next ->', next(g))
print('next ->', next(g))
print('next ->', next(g))
try:
    next(g)
except StopIteration:
    print('StopIteration: the generator is exhausted')


print('--- an endless generator keeps its state between calls ---')


def gen_filename():
    # The course built names from the current time; a counter keeps the
    # output of this script the same on every run.
    number = 0
    while True:
        number += 1
        yield 'file-{}.jpeg'.format(number)


names = gen_filename()
for _ in range(3):
    print(next(names))


print('--- send(): a value goes INTO the generator at the paused yield ---')


def echo():
    received = None
    while True:
        # "yield x" hands x out; the expression's value is what send() passed.
        received = yield 'I last received {!r}'.format(received)


e = echo()
print(next(e))                 # prime it: run up to the first yield
print(e.send('hello'))
print(e.send(42))
e.close()


print('--- Round Robin: generators take turns on one thread ---')


def gen1(s):
    for char in s:
        yield char


def gen2(n):
    for i in range(n):
        yield i


tasks = [gen1('oleg'), gen2(4)]        # a queue of "tasks"

while tasks:
    task = tasks.pop(0)                # take the first task...
    try:
        value = next(task)             # ...let it run one step...
        print(value)
        tasks.append(task)             # ...and put it at the end of the queue
    except StopIteration:
        pass                           # a finished task leaves the queue
print('all tasks finished')
