"""Put a benchmark's generated text into a markdown file between its markers."""

from __future__ import annotations

from pathlib import Path


def write_between_markers(path: str | Path, marker: str, text: str, heading: str) -> None:
    """Replace the block between ``<!-- marker:start -->`` and ``<!-- marker:end -->`` with ``text``;
    without the markers, append them under ``## heading``."""
    path = Path(path)
    old = path.read_text()
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{text}\n{end}"
    if start in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    path.write_text(new)


def publish(text: str, path: str | Path | None, marker: str, heading: str) -> None:
    """Print a benchmark's text; with ``path`` (its ``--write``), also put it between its markers there."""
    print(text)
    if path:
        write_between_markers(path, marker, text, heading)
