"""Lesson 9: asynchrony built on generators alone.

No asyncio here: a tiny scheduler plus generators is enough to run several
"tasks" at once on one thread.  A task is a generator; when it wants to
sleep it does NOT call ``time.sleep()`` (that would stop everything) but
yields how long it wants to sleep:

    yield 0.1        # "wake me up in 0.1 s, meanwhile run the others"

The scheduler keeps two queues:

* ``ready``    - tasks that can run now (a FIFO queue: Round Robin);
* ``sleeping`` - a heap of (wake-up time, number, task), earliest first.

When nothing is ready, the scheduler itself sleeps (the only real
``time.sleep``) until the earliest sleeper is due, and moves it to ``ready``.
That is, in miniature, what asyncio's event loop does with timers.

Times are short (tenths of a second) so the script finishes quickly.
"""

import heapq
import itertools
import time
from collections import deque


class Scheduler:
    def __init__(self):
        self.ready = deque()
        self.sleeping = []                    # heap of (wake_at, seq, task)
        self.seq = itertools.count()          # tie-breaker for equal times
        self.start = time.monotonic()

    def now(self):
        return time.monotonic() - self.start

    def spawn(self, task):
        self.ready.append(task)

    def run(self):
        while self.ready or self.sleeping:
            if not self.ready:
                wake_at, _, task = heapq.heappop(self.sleeping)
                delay = wake_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)         # nothing to do: really sleep
                self.ready.append(task)
            task = self.ready.popleft()
            try:
                delay = next(task)            # run the task to its next yield
            except StopIteration:
                continue                      # the task is finished
            if delay:
                wake_at = time.monotonic() + delay
                heapq.heappush(self.sleeping, (wake_at, next(self.seq), task))
            else:
                self.ready.append(task)       # yield 0/None: just give way


sched = Scheduler()


def countdown(n, pause):
    while n > 0:
        print('[{:.2f} s] countdown {}'.format(sched.now(), n))
        n -= 1
        yield pause                           # sleep without blocking others
    print('[{:.2f} s] countdown: liftoff!'.format(sched.now()))


def countup(stop, pause):
    for x in range(1, stop + 1):
        print('[{:.2f} s] countup {}'.format(sched.now(), x))
        yield pause
    print('[{:.2f} s] countup: done'.format(sched.now()))


def polite(name, steps):
    """A task that never sleeps but yields 0 to let the others run."""
    for i in range(steps):
        print('{} step {}'.format(name, i))
        yield 0


print('--- two sleeping tasks share one thread ---')
# countdown ticks every 0.2 s, countup every 0.25 s: with real sleeps this
# would take 0.8 + 0.75 s one after another; together it takes about 0.8 s.
sched.spawn(countdown(4, 0.2))
sched.spawn(countup(3, 0.25))
sched.run()
print('total {:.2f} s'.format(sched.now()))

print('--- tasks that yield 0 take turns (Round Robin) ---')
sched.spawn(polite('a', 3))
sched.spawn(polite('b', 3))
sched.run()
