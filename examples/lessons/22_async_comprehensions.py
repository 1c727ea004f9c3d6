"""Lesson 22b: asynchronous comprehensions (list, dict, set).

Inside ``async def``, comprehensions can use ``async for`` to take items from
an asynchronous iterator or generator, and ``await`` to compute items:

    [x async for x in agen()]                 # list
    {k: v async for k, v in agen()}           # dict
    {x async for x in agen()}                 # set
    [await f(x) for x in items]               # await inside a comprehension

The data comes from ``faker``, a library that makes up realistic fake
names, e-mails, cities...  It is seeded (``Faker.seed``), so every run makes
up the same people.
"""

import asyncio

from faker import Faker

Faker.seed(22)                  # the same fake data on every run
fake = Faker('en_US')


async def fake_users(count):
    """An asynchronous generator: pretends to fetch users one by one."""
    for user_id in range(1, count + 1):
        await asyncio.sleep(0.01)           # e.g. a database round trip
        yield {
            'id': user_id,
            'name': fake.name(),
            'email': fake.email(),
            'state': fake.state_abbr(),
        }


async def is_active(user):
    await asyncio.sleep(0.01)               # e.g. a request to another service
    return user['id'] % 2 == 1


async def main():
    print('--- async list comprehension ---')
    users = [user async for user in fake_users(6)]
    for user in users:
        print('{id}: {name:<22} {email:<28} {state}'.format(**user))

    print('--- with a condition ---')
    names = [user['name'] async for user in fake_users(6) if user['id'] > 3]
    print(names)

    print('--- async dict comprehension ---')
    emails = {user['name']: user['email'] async for user in fake_users(3)}
    for name, email in emails.items():
        print('{} -> {}'.format(name, email))

    print('--- async set comprehension ---')
    states = {user['state'] async for user in fake_users(10)}
    # A set has no order of its own; sort it to print it the same every run.
    print(len(states), 'different states:', sorted(states))

    print('--- await inside a comprehension ---')
    flags = [await is_active(user) for user in users]
    print('active:', flags)
    active = [user['name'] for user, flag in zip(users, flags) if flag]
    print('active users:', active)


asyncio.run(main())
