"""Prints how well suggest_mapping maps the header corpus: accuracy per set, overall, precision."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.imports.mapping.suggest import suggest_mapping  # noqa: E402

CORPUS = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "unit"
    / "imports"
    / "mapping"
    / "data"
    / "header_corpus.json"
)


def score_set(entry: dict) -> dict:
    """Correct / total headers, mapped-and-right / mapped, and the misses of one header set."""
    suggestion = suggest_mapping(entry["headers"], [], entry["target"])
    correct = mapped = mapped_right = false_maps = 0
    misses = []
    for column, expected in zip(suggestion.columns, entry["expected"], strict=True):
        if column.field == expected:
            correct += 1
        else:
            misses.append((column.header.strip(), expected, column.field))
        if column.field is not None:
            mapped += 1
            mapped_right += column.field == expected
            false_maps += expected is None
    return {
        "total": len(entry["headers"]),
        "correct": correct,
        "mapped": mapped,
        "mapped_right": mapped_right,
        "false_maps": false_maps,
        "misses": misses,
    }


def main() -> None:
    sets = json.loads(CORPUS.read_text())["sets"]
    groups = {"tuned": _zero()}
    groups.update({f"holdout batch {b}": _zero() for b in sorted({_batch(e) for e in sets} - {0})})
    groups["OVERALL"] = _zero()
    for entry in sets:
        result = score_set(entry)
        batch = _batch(entry)
        for name in (f"holdout batch {batch}" if batch else "tuned", "OVERALL"):
            for key in groups[name]:
                groups[name][key] += result[key]
        label = entry["name"] + (f" (holdout {_batch(entry)})" if _batch(entry) else "")
        print(
            f"{label:36} {result['correct']:3}/{result['total']:<3} "
            f"accuracy {result['correct'] / result['total']:.3f}  "
            f"precision {result['mapped_right'] / max(result['mapped'], 1):.3f}"
        )
        for header, expected, got in result["misses"]:
            print(f"    {header!r}: expected {expected}, got {got}")
    for name, totals in groups.items():
        print(
            f"{name:36} {totals['correct']:3}/{totals['total']:<3} "
            f"accuracy {totals['correct'] / max(totals['total'], 1):.3f}  "
            f"precision {totals['mapped_right'] / max(totals['mapped'], 1):.3f}  "
            f"false mappings {totals['false_maps']}"
        )


def _batch(entry: dict) -> int:
    return entry.get("batch", 1) if entry.get("holdout") else 0


def _zero() -> dict[str, int]:
    return {"total": 0, "correct": 0, "mapped": 0, "mapped_right": 0, "false_maps": 0}


if __name__ == "__main__":
    main()
