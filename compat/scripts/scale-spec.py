#!/usr/bin/env python3
"""Builds a large before/after pair from a spec, for timing openapi-compat.

Usage: scale-spec.py SPEC.json COPIES OUT_DIR

Writes OUT_DIR/old.json and OUT_DIR/new.json: SPEC's paths and component
schemas repeated COPIES times (paths under /copyN, schemas suffixed _N, each
copy's $refs pointing at its own schemas). In new.json, in every copy, the
most referenced schema loses a property, gains one and has its description
edited, so that the operations using it have findings to report.
"""

import copy
import json
import sys
from pathlib import Path


def rename_refs(value, suffix):
    if isinstance(value, dict):
        return {
            k: (v + suffix if k == "$ref" and v.startswith("#/components/schemas/")
                else rename_refs(v, suffix))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [rename_refs(v, suffix) for v in value]
    return value


def most_referenced(spec):
    text = json.dumps(spec)
    return max(spec["components"]["schemas"],
               key=lambda name: text.count(f'"#/components/schemas/{name}"'))


def scale(spec, copies, change):
    out = copy.deepcopy(spec)
    target = most_referenced(spec)
    # The originals stay, for the other components that refer to them.
    out["paths"], schemas = {}, dict(spec["components"]["schemas"])
    for n in range(copies):
        suffix = f"_{n}"
        for path, item in spec["paths"].items():
            out["paths"][f"/copy{n}{path}"] = rename_refs(item, suffix)
        for name, schema in spec["components"]["schemas"].items():
            schemas[name + suffix] = rename_refs(copy.deepcopy(schema), suffix)
        if change:
            first = target
            props = schemas[first + suffix].setdefault("properties", {})
            if props:
                gone = sorted(props)[0]
                del props[gone]
                required = schemas[first + suffix].get("required", [])
                if gone in required:
                    required.remove(gone)
            props["added_in_new"] = {"type": "string", "description": "new"}
            schemas[first + suffix]["description"] = f"edited {n}"
    out["components"]["schemas"] = schemas
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    spec = json.loads(Path(sys.argv[1]).read_text())
    copies, out = int(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    for name, change in (("old.json", False), ("new.json", True)):
        text = json.dumps(scale(spec, copies, change), indent=2)
        (out / name).write_text(text)
        print(f"{out / name}: {len(text)} bytes")


if __name__ == "__main__":
    main()
