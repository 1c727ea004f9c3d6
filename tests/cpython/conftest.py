"""Keep pytest out of this package.

The modules here are unittest modules run by tests/test_cpython_suite.py,
one subprocess each, under a per-test watchdog; collected directly they
would run without it, outside the subprocess, with pytest's warnings-as-
errors filter, and a second time.
"""

collect_ignore_glob = ["*.py"]
