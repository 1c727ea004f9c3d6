"""Conventions of the sources, checked rather than remembered.

- Version differences live in csrc/compat.h and cloop/_compat.py only.
- A C function that no other file uses is static (with -fvisibility=hidden
  nothing leaves the module anyway: this keeps each file's interface to what
  the others call).
"""
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRC = os.path.join(ROOT, "csrc")

pytestmark = pytest.mark.cloop_only


def read(path):
    with open(path) as f:
        return f.read()


def c_sources(ext):
    return {os.path.basename(p): read(p) for p in glob.glob(os.path.join(CSRC, "*" + ext))}


def test_python_versions_are_told_apart_in_compat_only():
    c_users = sorted(name for name, text in {**c_sources(".c"), **c_sources(".h")}.items()
                     if "PY_VERSION_HEX" in text and name != "compat.h")
    py_users = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "cloop", "*.py"))
                      if re.search(r"\bversion_info\b|\bhexversion\b", read(p))
                      and not p.endswith("_compat.py"))
    assert (c_users, py_users) == ([], []), (
        "version checks outside csrc/compat.h and cloop/_compat.py")


def external_definitions(text):
    """Names of the functions a .c file defines without `static` (CPython's
    layout: the return type on its own line, the name at the line's start)."""
    lines = text.splitlines()
    for before, line in zip(lines, lines[1:]):
        match = re.match(r"([A-Za-z_]\w*)\(", line)
        if (match and before.strip() and not before.startswith(("#", " ", "}", "/", "*"))
                and "static" not in before.split()):
            yield match.group(1)


def header_uses(text):
    """A header's text without its prototypes: the macros and inline
    functions that call into the .c files."""
    return re.sub(r"^[A-Za-z_][\w \*]*?\b\w+\([^;{}]*\);", "", text, flags=re.M)


def test_functions_no_other_file_uses_are_static():
    sources = c_sources(".c")
    headers = "\n".join(header_uses(text) for text in c_sources(".h").values())
    lonely = []
    for name, text in sources.items():
        for func in external_definitions(text):
            used = re.compile(rf"\b{func}\b")
            if func == "PyInit__cloop" or used.search(headers) or any(
                    used.search(other) for o, other in sources.items() if o != name):
                continue
            lonely.append(f"{name}: {func}")
    assert not lonely, f"make these static (only their own file uses them): {lonely}"
