"""A Tornado server on cloop: Tornado runs on whatever asyncio loop runs."""
import asyncio
import os

import tornado.web

import cloop


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write(f"hello from {type(asyncio.get_running_loop()).__name__}\n")


async def main():
    app = tornado.web.Application([("/", Hello)])
    app.listen(int(os.environ.get("PORT", "8888")), address="127.0.0.1")
    await asyncio.Event().wait()  # serve until stopped


cloop.run(main())
