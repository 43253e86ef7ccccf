"""Copy the Kubernetes JSON schemas our manifests use into the repository, self-contained.

Source: the PyPI package kubernetes-validate (its "local-strict" schemas, generated from the
Kubernetes OpenAPI spec; strict = unknown fields are errors). For each kind we keep its schema
plus only the definitions it reaches, with references rewritten to the file's own ``$defs``, and
descriptions dropped. Re-run after changing KINDS or the version:

    pip install kubernetes-validate==1.37.0
    python deploy/k8s/schemas/vendor_kubernetes.py
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

VERSION = "v1.32.0"
KINDS = [
    "configmap-v1",
    "deployment-apps-v1",
    "networkpolicy-networking-v1",
    "persistentvolumeclaim-v1",
    "poddisruptionbudget-policy-v1",
    "secret-v1",
    "service-v1",
    "serviceaccount-v1",
]
# Kind files point into _definitions.json; definitions point at each other within it.
REF_PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")
OUT = Path(__file__).parent / f"kubernetes-{VERSION.rsplit('.', 1)[0]}"


def _walk(node: Any, refs: set[str]) -> Any:
    """Drop descriptions, rewrite references, collect the definitions referenced."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "description":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIXES):
                name = value.split("/$defs/", 1)[1]
                refs.add(name)
                out[key] = f"#/$defs/{name}"
            else:
                out[key] = _walk(value, refs)
        return out
    if isinstance(node, list):
        return [_walk(item, refs) for item in node]
    return node


def main() -> None:
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"{VERSION}-local-strict"
    definitions = json.loads((root / "_definitions.json").read_text())["$defs"]
    OUT.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        refs: set[str] = set()
        schema = _walk(json.loads((root / f"{kind}.json").read_text()), refs)
        defs: dict[str, Any] = {}
        pending = sorted(refs)
        while pending:
            name = pending.pop()
            if name in defs:
                continue
            found: set[str] = set()
            defs[name] = _walk(definitions[name], found)
            pending.extend(sorted(found - set(defs)))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$defs"] = dict(sorted(defs.items()))
        (OUT / f"{kind}.json").write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True) + "\n")
        print(f"{kind}: {len(defs)} definitions")


if __name__ == "__main__":
    main()
