"""cloop.Loop reuses asyncio's own methods (cloop/_borrow.py): each one must
only touch private attributes that cloop's Loop has, on this Python.

A new Python whose borrowed code reaches for a new private attribute of
the loop (self._something) fails here rather than in a user's program.
"""
import dis
import types

import pytest

from conftest import import_cloop

pytestmark = pytest.mark.cloop_only


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _self_attributes(func):
    """(name, stored) for every attribute the function reads or writes on
    `self` (an attribute instruction right after loading self)."""
    found = set()
    for code in _code_objects(func.__code__):
        if not code.co_varnames or code.co_varnames[0] != "self":
            continue
        previous = None
        for ins in dis.get_instructions(code):
            if (previous is not None and previous.opname.startswith("LOAD_FAST")
                    and (previous.argval == "self"
                         or (isinstance(previous.argval, tuple)
                             and previous.argval[-1] == "self"))
                    and ins.opname in ("LOAD_ATTR", "LOAD_METHOD",
                                       "STORE_ATTR")):
                found.add((ins.argval, ins.opname == "STORE_ATTR"))
            previous = ins
    return found


def test_something_is_borrowed():
    import_cloop()
    from cloop._borrow import BORROWED

    names = {name for _, name, _ in BORROWED}
    assert {"run_until_complete", "create_connection", "subprocess_exec",
            "create_unix_server", "_accept_connection2"} <= names
    # The bytecode walk sees reads and writes on self (else the next test
    # could not fail).
    funcs = {name: func for _, name, func in BORROWED}
    assert ("_check_closed", False) in _self_attributes(
        funcs["run_until_complete"])
    assert ("_exception_handler", True) in _self_attributes(
        funcs["set_exception_handler"])


def test_borrowed_code_only_touches_what_the_loop_has():
    cloop = import_cloop()
    from cloop._borrow import BORROWED

    loop = cloop.new_event_loop()
    try:
        stored = {name for _, _, func in BORROWED
                  for name, is_store in _self_attributes(func) if is_store}
        missing = []
        for cls, name, func in BORROWED:
            for attr, _ in sorted(_self_attributes(func)):
                if (attr.startswith("_") and not attr.startswith("__")
                        and not hasattr(loop, attr) and attr not in stored):
                    missing.append(f"{cls.__name__}.{name} uses self.{attr}")
        assert not missing, "\n".join(missing)
    finally:
        loop.close()


def test_borrow_refuses_a_missing_name():
    import_cloop()
    from cloop._borrow import borrow

    class Source:
        def present(self):
            pass

    namespace = {}
    with pytest.raises(ImportError, match="has no absent"):
        borrow(namespace, Source, ("present", "absent"))
    assert namespace == {}
