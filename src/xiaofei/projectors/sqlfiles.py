"""Find the read-model DDL: ``projections/<name>/*.sql`` in a checkout, ``xiaofei/_projections`` when installed."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def projections_root() -> Path:
    installed = _PACKAGE_DIR / "_projections"
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent / "projections"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("projection SQL not found (neither xiaofei/_projections nor ./projections)")


def ddl_statements(name: str) -> list[str]:
    """The SQL files of projection ``name``, in file-name order, each as one script."""
    folder = projections_root() / name
    files = sorted(folder.glob("*.sql"))
    if not files:
        raise FileNotFoundError(f"no SQL files for projection {name!r} in {folder}")
    return [f.read_text(encoding="utf-8") for f in files]
