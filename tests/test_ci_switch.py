"""One definition of "running under CI" (tests/backends.py IN_CI), so every test that
must fail rather than skip in CI reads the same switch."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_only_backends_reads_the_ci_variable() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for folder in ("tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in (ROOT / "tests" / "backends.py", Path(__file__))
        and any(
            isinstance(node, ast.Constant) and node.value == "CI"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert readers == []
