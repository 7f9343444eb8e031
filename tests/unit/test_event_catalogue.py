from __future__ import annotations

from pathlib import Path

from xiaofei.catalogue import event_classes, render

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"


def test_the_committed_catalogue_matches_the_code() -> None:
    expected = render()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in EVENTS_DIR.glob("*.json")}
    assert sorted(on_disk) == sorted(expected), "run `xiaofei events export` and commit events/"
    for name, content in expected.items():
        assert on_disk[name] == content, f"{name} differs: run `xiaofei events export`"


def test_every_event_type_has_a_schema_and_an_example() -> None:
    files = render()
    for cls in event_classes():
        stem = f"{cls.__qualname__}.v{getattr(cls, 'class_version', 1)}"
        assert f"{stem}.schema.json" in files
        assert f"{stem}.example.json" in files
