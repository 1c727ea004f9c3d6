"""CPython's test_asyncio.test_ssl on a cloop loop (TestSSL makes its loops
with asyncio.new_event_loop(), cloop loops under cloop's policy here)."""
from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_ssl


class CloopTestSSL(support.CloopPolicyCase, test_ssl.TestSSL):
    skips_module = "test_ssl"


skips.check_used("test_ssl")
