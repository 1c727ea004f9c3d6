"""Lesson 22: ``async for`` - asynchronous iteration, over keys in Redis.

A normal ``for`` loop calls ``iter(obj)`` once and then ``next()`` until
``StopIteration``.  When getting each next item means WAITING (a database
query, a network read), ``next()`` must be a coroutine, so there is an
asynchronous protocol, used by ``async for`` (only inside ``async def``):

1. ``__aiter__(self)`` returns the object that has ``__anext__`` (often
   ``self``); it is a plain method, not a coroutine;
2. ``await obj.__anext__()`` returns the value for each iteration;
3. ``__anext__`` raises ``StopAsyncIteration`` when there is nothing left.

The example reads values from a real Redis server with redis-py's asyncio
client (``redis.asyncio``).  The script first fills in the keys it is going
to read (under its own key prefix) and deletes them at the end.

It needs a running Redis server:

    apt-get install redis-server && redis-server --daemonize yes

The server address is taken from the REDIS_URL environment variable
(default: redis://localhost:6379/0).
"""

import asyncio
import os
import sys

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

REDIS_URL = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')
# A prefix of our own (with the process id) so we never touch other keys.
PREFIX = 'cloop:lesson22:{}:'.format(os.getpid())

DATA = {
    'city:1': 'Moscow',
    'city:2': 'Kazan',
    'city:3': 'Novosibirsk',
    'city:4': 'Vladivostok',
    'city:5': 'Kaliningrad',
}


class RedisReader:
    """An asynchronous iterator: yields (key, value) for each key, reading
    the value from Redis only when the loop asks for it."""

    def __init__(self, redis, keys):
        self._redis = redis
        self._keys = keys

    def __aiter__(self):
        self._ikeys = iter(self._keys)      # start (again) from the first key
        return self                         # the object with __anext__

    async def __anext__(self):
        try:
            key = next(self._ikeys)
        except StopIteration:
            raise StopAsyncIteration        # ends the "async for" loop
        value = await self._redis.get(key)  # waiting here lets others run
        return key, value


def short(key):
    return key[len(PREFIX):]


async def main():
    redis = aioredis.from_url(REDIS_URL, decode_responses=True,
                              socket_connect_timeout=3)
    try:
        try:
            await redis.ping()
        except (RedisConnectionError, RedisTimeoutError, OSError) as e:
            print('Cannot connect to Redis at {}: {}'.format(
                REDIS_URL, str(e) or type(e).__name__), file=sys.stderr)
            print('This lesson needs a running Redis server. Start one with:\n'
                  '    apt-get install redis-server && redis-server --daemonize yes\n'
                  'or point REDIS_URL at your server, e.g.\n'
                  '    REDIS_URL=redis://localhost:6379/0 python 22_async_for_redis.py',
                  file=sys.stderr)
            return 1

        keys = [PREFIX + name for name in DATA]
        await redis.mset({PREFIX + name: value for name, value in DATA.items()})
        print('wrote {} keys to Redis'.format(len(keys)))
        try:
            print('--- async for over our RedisReader ---')
            async for key, value in RedisReader(redis, keys):
                print('{} = {}'.format(short(key), value))

            print('--- the same protocol by hand ---')
            reader = RedisReader(redis, keys[:2])
            iterator = reader.__aiter__()
            while True:
                try:
                    key, value = await iterator.__anext__()
                except StopAsyncIteration:
                    print('StopAsyncIteration: no more keys')
                    break
                print('{} = {}'.format(short(key), value))

            print('--- an async comprehension with it ---')
            cities = [value async for _, value in RedisReader(redis, keys)
                      if value.startswith('K')]
            print('cities starting with K:', cities)

            print("--- redis-py's own async iterator: scan_iter ---")
            found = [key async for key in redis.scan_iter(match=PREFIX + '*')]
            print('scan found', sorted(short(k) for k in found))
        finally:
            deleted = await redis.delete(*keys)       # clean up after us
            print('deleted {} keys'.format(deleted))
    finally:
        close = getattr(redis, 'aclose', None) or redis.close
        await close()
    return 0


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
