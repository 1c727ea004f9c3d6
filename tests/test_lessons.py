"""The course's lesson scripts (examples/lessons/) as tests.

Each lesson is run as a subprocess from the repository root, once on stock
asyncio (``python lesson.py``) and once on the C core
(``python -m cloop lesson.py``).  Test ids are ``[stock-<lesson>]`` and
``[cloop-<lesson>]``, so ``-k "not cloop"`` runs the stock side alone.

* stock: the script exits 0, writes nothing to stderr (no warning, no
  traceback), prints something, and prints the same lines on a second run
  (once times, addresses, ids and temporary paths are masked);
* cloop: the script exits 0, writes nothing to stderr, and its masked output
  equals the masked output of the stock run.

Lesson 7.1 is written for Python 3.4 (``@asyncio.coroutine``), which stock
Python 3.11+ no longer has: on stock Python the test checks that it FAILS
with an AttributeError about 'coroutine' (the lesson's point), and that it
runs cleanly once ``asyncio.coroutine`` is supplied by a shim
(``types.coroutine``); that shim run is the reference the cloop run must
match.

Lesson 22 (async for over Redis) needs a running Redis server (REDIS_URL,
default redis://localhost:6379/0), which scripts/redis.sh starts (on
127.0.0.1 only: a test checks that nothing else is listening there);
without one the test fails with instructions.
"""

import functools
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS_DIR = ROOT / 'examples' / 'lessons'
LESSONS = sorted(p.stem for p in LESSONS_DIR.glob('*.py'))
TIMEOUT = 60
# Keep the interpreter's -P (safe path) in the subprocesses: scripts/asan.sh
# runs pytest with -P so that the sanitized cloop build on PYTHONPATH is
# imported instead of the working tree's own build.
PYTHON = [sys.executable, '-P'] if sys.flags.safe_path else [sys.executable]

PY34_LESSON = '07_1_asyncio_py34'
REDIS_LESSON = '22_async_for_redis'
# Lesson 16's last part runs cloop's blocking detector; its lines start with
# 'detector:' and are compared separately (stock asyncio has no detector).
DETECTOR_LESSON = '16_await_problems'
DETECTOR_PREFIX = 'detector:'

# Runs a script with asyncio.coroutine restored the simplest possible way.
PY34_SHIM = (
    'import asyncio, runpy, sys, types\n'
    'asyncio.coroutine = types.coroutine\n'
    'sys.argv = sys.argv[1:]\n'
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)

# What may differ between two runs: (pattern, replacement), applied in order.
_TMP = re.escape(tempfile.gettempdir().rstrip('/'))
MASKS = [
    # temporary files and folders: /tmp/tmpab12cd/file -> <TMP>
    (re.compile(_TMP + r'/[^\s\'",)\]]+'), '<TMP>'),
    # loopback addresses with ports: 127.0.0.1:41234, ('127.0.0.1', 41234)
    (re.compile(r'(127\.0\.0\.1|localhost|\[::1\]):\d+'), r'\1:<PORT>'),
    (re.compile(r"\('(127\.0\.0\.1|::1)', \d+"), r"('\1', <PORT>"),
    # object ids in reprs: <Task ... at 0x7f...>
    (re.compile(r'0x[0-9a-fA-F]+'), '0x<ID>'),
    # durations printed as "0.25 s" or "1.0 s"
    (re.compile(r'\b\d+\.\d+ ?(s|ms)\b'), r'<T> \1'),
    # clock times 12:34:56(.789)
    (re.compile(r'\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b'), '<CLOCK>'),
]


def mask(text):
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def split_detector(text):
    """(the lesson's output without detector lines, the detector lines)."""
    lines = text.splitlines(keepends=True)
    detector = [line for line in lines if line.startswith(DETECTOR_PREFIX)]
    rest = [line for line in lines if not line.startswith(DETECTOR_PREFIX)]
    return ''.join(rest), detector


def lesson_path(name):
    return str(LESSONS_DIR / (name + '.py'))


def run(args):
    env = dict(os.environ, PYTHONIOENCODING='utf-8')
    return subprocess.run(
        args, cwd=str(ROOT), env=env, capture_output=True, text=True,
        timeout=TIMEOUT, stdin=subprocess.DEVNULL,
    )


def stock_command(name):
    return PYTHON + [lesson_path(name)]


def cloop_command(name):
    return PYTHON + ['-m', 'cloop', lesson_path(name)]


def reference_command(name):
    """The stock command whose output the cloop run must reproduce."""
    if name == PY34_LESSON:
        return PYTHON + ['-c', PY34_SHIM, lesson_path(name)]
    return stock_command(name)


@functools.lru_cache(maxsize=None)
def reference_run(name):
    """Run the stock reference once per session (cached for the cloop side)."""
    return run(reference_command(name))


def describe(result):
    return 'exit status {}\n--- stdout ---\n{}\n--- stderr ---\n{}'.format(
        result.returncode, result.stdout, result.stderr)


def assert_clean(result):
    assert result.returncode == 0, describe(result)
    assert result.stderr == '', describe(result)
    assert result.stdout.strip(), 'the lesson printed nothing\n' + describe(result)


def redis_reachable():
    url = urlsplit(os.environ.get('REDIS_URL', 'redis://localhost:6379/0'))
    try:
        with socket.create_connection((url.hostname or 'localhost', url.port or 6379),
                                      timeout=2):
            return True
    except OSError:
        return False


def require_services(name):
    if name == REDIS_LESSON and not redis_reachable():
        message = ('lesson {} needs a running Redis server (REDIS_URL); start one '
                   'with: bash scripts/setup-system.sh redis-server && bash scripts/redis.sh'
                   .format(name))
        pytest.fail(message)


PARAMS = [pytest.param(runner, name, id='{}-{}'.format(runner, name))
          for runner in ('stock', 'cloop') for name in LESSONS]


def test_all_lessons_present():
    """One script per row of the course table (shared/lessons.md)."""
    expected = {
        '00_socket_server', '00_original', '01_event_loop', '02_selectors',
        '03_generators', '04_async_generators', '05_async_coroutines',
        '06_delegating_generators', '07_1_asyncio_py34', '07_2_asyncio_py35',
        '07_3_asyncio_py36', '07_4_asyncio_py37', '08_download_files',
        '09_generator_async', '10_cancel', '11_wait_for', '12_shield',
        '13_asyncio_run', '14_async_with', '15_gather', '16_await_problems',
        '17_taskgroup', '18_gather_exceptions', '19_taskgroup_exceptions',
        '20_gather_cancel', '21_taskgroup_cancel', '22_async_for_redis',
        '22_async_comprehensions', '23_contextmanager', '24_asynccontextmanager',
    }
    assert set(LESSONS) == expected


@pytest.mark.parametrize('runner,name', PARAMS)
def test_lesson(runner, name):
    require_services(name)

    if runner == 'stock':
        if name == PY34_LESSON:
            # Stock Python 3.11+ has no asyncio.coroutine: the lesson's point.
            result = run(stock_command(name))
            assert result.returncode != 0, describe(result)
            assert 'AttributeError' in result.stderr, describe(result)
            assert 'coroutine' in result.stderr, describe(result)
        first = reference_run(name)
        assert_clean(first)
        # The output must be deterministic, or comparing loops means nothing.
        second = run(reference_command(name))
        assert_clean(second)
        assert mask(second.stdout) == mask(first.stdout)
        return

    reference = reference_run(name)
    assert_clean(reference)
    result = run(cloop_command(name))
    assert_clean(result)
    expected, stock_detector = split_detector(mask(reference.stdout))
    got, cloop_detector = split_detector(mask(result.stdout))
    assert got == expected
    if name == DETECTOR_LESSON:
        assert stock_detector == [
            'detector: not available on this event loop '
            '(run: python -m cloop 16_await_problems.py)\n']
        assert cloop_detector[0] == (
            "detector: the loop was blocked by task 'busy-worker', "
            'coroutine busy\n'), describe(result)
        assert cloop_detector[1].startswith('detector: it was in busy(), line ')
    else:
        assert cloop_detector == stock_detector == []


def listening_addresses(port):
    """The local address (hex, as /proc/net writes it) of every socket listening on
    TCP `port`."""
    found = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(table) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                address, _, hexport = local.partition(':')
                if state == '0A' and int(hexport, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def test_the_lessons_redis_server_listens_on_loopback_only():
    """scripts/redis.sh (run by the test command and by the demo for the Redis
    lesson) binds 127.0.0.1: the README's commands open nothing to the network."""
    url = urlsplit(os.environ.get('REDIS_URL', 'redis://localhost:6379/0'))
    if url.hostname not in (None, 'localhost', '127.0.0.1'):
        pytest.fail('REDIS_URL names another host: this test checks the local one')
    listening = listening_addresses(url.port or 6379)
    assert listening, 'no Redis listening: scripts/redis.sh starts one'
    loopback = {'0100007F', '00000000000000000000000001000000'}  # 127.0.0.1, ::1
    assert listening <= loopback, listening
