"""pytest --cloop: run a project's pytest-asyncio and anyio tests on cloop.

Registered as a pytest plugin (entry point ``pytest11``), so that with cloop
installed ``pytest --cloop`` needs nothing else; without the flag the
plugin does nothing and does not import cloop's extension.

- pytest-asyncio (1.5+): cloop answers its ``pytest_asyncio_loop_factories``
  hook with ``{"cloop": cloop.new_event_loop}``, so every asyncio test and
  fixture loop is a cloop loop. A project's own implementation of the hook
  (in its conftest) still decides where it returns a mapping.
- anyio: a test on the "asyncio" backend gets ``loop_factory=
  cloop.new_event_loop`` among its backend options, unless the project's
  ``anyio_backend`` already chose a loop (``loop_factory`` or
  ``use_uvloop``).
"""
import pytest

OPTION = "--cloop"


def pytest_addoption(parser):
    parser.getgroup("cloop").addoption(
        OPTION, action="store_true", dest="cloop", default=False,
        help="run pytest-asyncio and anyio tests on cloop's event loop")


def _enabled(config):
    return config.getoption("cloop", default=False)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if _enabled(config):
        # Only now: pytest-asyncio takes any implementation of its hook as
        # a request for factories, flag or not.
        config.pluginmanager.register(LoopFactories(), "cloop-loop-factories")
        _route_anyio(config)


class LoopFactories:
    """pytest-asyncio's loop factories hook, registered by --cloop."""

    @pytest.hookimpl(optionalhook=True, trylast=True)
    def pytest_asyncio_loop_factories(self, config, item):
        import cloop
        return {"cloop": cloop.new_event_loop}


def _route_anyio(config):
    """Give anyio's asyncio backend cloop's loop, through the function its
    pytest plugin reads every test's backend and options with (put back
    when the session ends)."""
    try:
        from anyio import pytest_plugin
    except ImportError:
        return  # no anyio: nothing to route
    extract = getattr(pytest_plugin, "extract_backend_and_options", None)
    if extract is None:
        raise pytest.UsageError(
            f"{OPTION}: this anyio's pytest plugin has no "
            f"extract_backend_and_options(); choose the loop in your "
            f"anyio_backend fixture instead: "
            f"('asyncio', {{'loop_factory': cloop.new_event_loop}})")
    if getattr(extract, "_cloop_routed", False):
        return

    def extract_backend_and_options(backend):
        name, options = extract(backend)
        if name == "asyncio" and not {"loop_factory", "use_uvloop"} & set(
                options):
            import cloop
            options = {**options, "loop_factory": cloop.new_event_loop}
        return name, options

    extract_backend_and_options._cloop_routed = True
    pytest_plugin.extract_backend_and_options = extract_backend_and_options
    config.add_cleanup(
        lambda: setattr(pytest_plugin, "extract_backend_and_options", extract))
