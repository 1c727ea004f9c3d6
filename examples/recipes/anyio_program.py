"""An anyio program on cloop: the asyncio backend takes a loop_factory."""
import asyncio

import anyio

import cloop


async def main():
    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.sleep, 0.01)
    print("anyio ran on", type(asyncio.get_running_loop()).__name__)


anyio.run(main, backend="asyncio",
          backend_options={"loop_factory": cloop.new_event_loop})
