"""An aiohttp server on cloop: web.run_app() takes the loop to run on."""
import os

from aiohttp import web

import cloop


async def hello(request):
    return web.Response(text=f"hello from {type(request.app.loop).__name__}\n")


app = web.Application()
app.router.add_get("/", hello)
port = int(os.environ.get("PORT", "8080"))
web.run_app(app, host="127.0.0.1", port=port, loop=cloop.new_event_loop())
