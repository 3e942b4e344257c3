#!/usr/bin/env python3
"""Derives the MCP message schemas under schemas/mcp/ from the official schema.json files.

Each output is the official schema of one protocol revision with every `description`
annotation removed (prose; the normative text stays in the specification). Nothing else
changes: keys keep their order, and a *property* that happens to be called
`description` (Tool.description, Prompt.description, ...) is kept.

Usage: python3 schemas/generate.py [SPEC_DIR] [OUT_DIR]
  SPEC_DIR defaults to ../shared/mcp-spec (relative to the repository root),
  OUT_DIR to schemas/mcp. With --check, compares instead of writing and exits 1 on a
  difference. Python 3.11 standard library only.
"""
import json
import pathlib
import sys

REVISIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]

# Keywords whose value maps names to schemas (the names are data, not keywords).
SCHEMA_MAPS = {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"}


def strip(node):
    """Returns a copy of a schema node without `description` annotations."""
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "description" and isinstance(value, str):
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: strip(sub) for name, sub in value.items()}
        else:
            out[key] = strip(value)
    return out


def render(spec_dir, revision):
    source = pathlib.Path(spec_dir) / "schema" / revision / "schema.json"
    with open(source, encoding="utf-8") as f:
        doc = json.load(f)
    return json.dumps(strip(doc), indent=1, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    root = pathlib.Path(__file__).resolve().parent.parent
    spec_dir = pathlib.Path(args[0]) if args else root / ".." / "shared" / "mcp-spec"
    out_dir = pathlib.Path(args[1]) if len(args) > 1 else root / "schemas" / "mcp"
    stale = []
    for revision in REVISIONS:
        text = render(spec_dir, revision)
        target = out_dir / f"{revision}.json"
        if check:
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if current != text:
                stale.append(str(target))
        else:
            out_dir.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run schemas/generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
