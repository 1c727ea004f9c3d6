"""python scripts/lesson-needs.py LESSON.py: the lines of
requirements-dev.txt for the third-party packages the lesson imports, one
per line (nothing for a lesson on the standard library alone). Fails on an
import that is neither the standard library's, cloop's nor listed there."""
import ast
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def imported_modules(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.partition(".")[0]


def requirements():
    """{lower-case name: requirement line} of requirements-dev.txt."""
    reqs = {}
    with open(os.path.join(ROOT, "requirements-dev.txt")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                reqs[re.split(r"[<>=!~\[ ;]", line)[0].lower()] = line
    return reqs


def main(path):
    reqs = requirements()
    needs = set()
    for name in imported_modules(path):
        if name in sys.stdlib_module_names or name in ("cloop", "__future__"):
            continue
        if name.lower() not in reqs:
            raise SystemExit(f"lesson-needs: {path} imports {name!r}, which "
                             f"requirements-dev.txt does not list")
        needs.add(reqs[name.lower()])
    for line in sorted(needs):
        print(line)


if __name__ == "__main__":
    main(sys.argv[1])
