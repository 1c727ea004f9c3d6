"""Lesson 8: downloading many files at once with asyncio and aiohttp.

Downloading is mostly WAITING for the network.  Downloading ten files one
after another waits ten times in a row; with asyncio we start all ten
downloads at once and wait for all of them together, so the total time is
about the time of the slowest download.

The recipe:

* one ``aiohttp.ClientSession`` (it keeps a pool of connections) shared by
  all downloads;
* one coroutine ``fetch_content(url, session)`` per file, which awaits the
  response and writes the bytes to a file;
* ``asyncio.create_task()`` for each URL, then ``asyncio.gather(*tasks)``.

Usage:

    python 08_download_files.py                  # local demo, see below
    python 08_download_files.py URL [URL ...] [--dest FOLDER]

With no URL the script needs no network: it generates a few files in a
temporary folder, serves that folder with an aiohttp web server on
127.0.0.1 (port 0: the OS picks a free port), downloads all of them at once
into another temporary folder and checks that every copy is identical to its
original (SHA-256).  The server waits 0.2 s before each answer, like a slow
network, so you can see that ten downloads take about 0.2 s, not 2 s.
"""

import argparse
import asyncio
import hashlib
import os
import random
import tempfile
import time
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

NETWORK_DELAY = 0.2        # seconds the demo server waits before each answer
FILE_COUNT = 10


# --- The downloader: this is the lesson ------------------------------------

def write_file(folder, filename, data):
    # A plain (blocking) write: the files are small, so it takes no time
    # worth mentioning compared with the network.
    path = os.path.join(folder, filename)
    with open(path, 'wb') as file:
        file.write(data)
    return path


async def fetch_content(url, session, folder, filename):
    async with session.get(url, allow_redirects=True) as response:
        response.raise_for_status()
        data = await response.read()   # while we wait, other downloads run
    write_file(folder, filename, data)
    return filename, len(data)


async def download_all(urls_and_names, folder):
    async with aiohttp.ClientSession() as session:
        tasks = []
        for url, filename in urls_and_names:
            task = asyncio.create_task(fetch_content(url, session, folder, filename))
            tasks.append(task)
        print('started {} downloads at once'.format(len(tasks)))
        # gather() returns the results in the order the tasks were passed,
        # whatever order they finished in.
        return await asyncio.gather(*tasks)


# --- The local demo: a web server on loopback serving generated files ------

def generate_files(folder, count):
    """Write `count` files of pseudo-random bytes; return {name: sha256}."""
    checksums = {}
    rng = random.Random(2024)              # seeded: the same files every run
    for i in range(1, count + 1):
        name = 'file-{:02d}.bin'.format(i)
        data = rng.randbytes(rng.randint(1000, 50000))
        write_file(folder, name, data)
        checksums[name] = hashlib.sha256(data).hexdigest()
    return checksums


@web.middleware
async def slow_network(request, handler):
    await asyncio.sleep(NETWORK_DELAY)     # pretend the network is slow
    return await handler(request)


async def start_server(folder):
    app = web.Application(middlewares=[slow_network])
    app.router.add_static('/files/', folder)     # serve the folder's files
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', 0)   # port 0: a free port
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, 'http://{}:{}/files/'.format(host, port)


def sha256_of(path):
    with open(path, 'rb') as file:
        return hashlib.sha256(file.read()).hexdigest()


async def demo():
    with tempfile.TemporaryDirectory() as served, \
            tempfile.TemporaryDirectory() as downloads:
        checksums = generate_files(served, FILE_COUNT)
        runner, base_url = await start_server(served)
        print('serving {} files from {} at {}'.format(len(checksums), served, base_url))
        try:
            jobs = [(base_url + name, name) for name in sorted(checksums)]
            start = time.monotonic()
            results = await download_all(jobs, downloads)
            elapsed = time.monotonic() - start
        finally:
            await runner.cleanup()                   # stop the web server

        print('downloaded into', downloads)
        ok = 0
        for name, size in results:
            good = sha256_of(os.path.join(downloads, name)) == checksums[name]
            ok += good
            print('  {}  {:6d} bytes  checksum {}'.format(
                name, size, 'ok' if good else 'MISMATCH'))
        print('{} of {} files identical to the originals'.format(ok, len(results)))
        print('all downloads took {:.2f} s; one after another they would take '
              'at least {:.2f} s'.format(elapsed, NETWORK_DELAY * len(results)))
        print('concurrent: {}'.format(elapsed < NETWORK_DELAY * len(results) / 2))
    if ok != len(results):
        raise SystemExit(1)


async def download_urls(urls, dest):
    os.makedirs(dest, exist_ok=True)
    jobs = []
    for i, url in enumerate(urls, 1):
        basename = os.path.basename(urlsplit(url).path) or 'index.html'
        jobs.append((url, '{:02d}-{}'.format(i, basename)))
    start = time.monotonic()
    results = await download_all(jobs, dest)
    for name, size in results:
        print('  {}  {} bytes'.format(os.path.join(dest, name), size))
    print('all downloads took {:.2f} s'.format(time.monotonic() - start))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('urls', nargs='*', help='files to download')
    parser.add_argument('--dest', default='downloads',
                        help='folder for the downloaded files (default: downloads)')
    args = parser.parse_args()
    if args.urls:
        asyncio.run(download_urls(args.urls, args.dest))
    else:
        asyncio.run(demo())


if __name__ == '__main__':
    main()
