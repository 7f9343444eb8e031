"""The domain stays pure: it imports no web or database framework."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "xiaofei" / "domain"
ALLOWED_ROOTS = {"__future__", "collections", "dataclasses", "datetime", "typing", "uuid", "re", "zoneinfo", "msgspec",
                 "eventsourcing", "xiaofei"}


def test_domain_imports_only_the_standard_library_msgspec_and_eventsourcing_domain() -> None:
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                root = module.split(".")[0]
                assert root in ALLOWED_ROOTS, f"{path.name} imports {module}"
                if root == "eventsourcing":
                    assert module == "eventsourcing.domain", f"{path.name} imports {module}"
                if root == "xiaofei":
                    assert module.startswith("xiaofei.domain"), f"{path.name} imports {module}"
