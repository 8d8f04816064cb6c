#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the schema bundles the offline deployment checks use.

The checks run in CI without a network, a Docker engine or a cluster, so the
schemas they validate against are kept here as data, trimmed to what
validation needs (descriptions dropped, only the kinds Bulwark's manifests
may use and the definitions they reach):

  k8s-openapi.json   definitions of Kubernetes' OpenAPI v2 document
                     (api/openapi-spec/swagger.json of a Kubernetes release)
  compose-spec.json  the Compose Specification's JSON schema
                     (schema/compose-spec.json of compose-spec/compose-spec)

Usage:
  update-schemas.py --k8s SWAGGER.json --k8s-release release-1.36 \
                    --compose COMPOSE-SPEC.json --compose-rev REV
Both sources are Apache-2.0 licensed.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# group/version/kind -> definition, for every kind a manifest may use.
KINDS = [
    ("", "v1", "Namespace"), ("", "v1", "ServiceAccount"), ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"), ("", "v1", "Service"), ("", "v1", "PersistentVolumeClaim"),
    ("", "v1", "LimitRange"), ("", "v1", "ResourceQuota"), ("", "v1", "Pod"),
    ("apps", "v1", "Deployment"), ("apps", "v1", "StatefulSet"), ("apps", "v1", "DaemonSet"),
    ("batch", "v1", "Job"), ("batch", "v1", "CronJob"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
    ("networking.k8s.io", "v1", "NetworkPolicy"),
    ("policy", "v1", "PodDisruptionBudget"),
    ("scheduling.k8s.io", "v1", "PriorityClass"),
]

DROP = {"description", "x-kubernetes-group-version-kind", "x-kubernetes-list-map-keys",
        "x-kubernetes-list-type", "x-kubernetes-patch-merge-key", "x-kubernetes-patch-strategy",
        "x-kubernetes-map-type", "x-kubernetes-unions", "$comment"}


def strip(node):
    """Drops annotations from schema nodes; names in a properties map stay."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in DROP:
                continue
            if k in ("properties", "patternProperties", "definitions") and isinstance(v, dict):
                out[k] = {name: strip(sub) for name, sub in v.items()}
            else:
                out[k] = strip(v)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def refs(node, out):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/definitions/"):
            out.add(r[len("#/definitions/"):])
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def k8s_bundle(path, release):
    with open(path) as f:
        swagger = json.load(f)
    defs = swagger["definitions"]
    by_gvk = {}
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            by_gvk[(gvk["group"], gvk["version"], gvk["kind"])] = name
    kinds = {}
    todo = []
    for gvk in KINDS:
        if gvk not in by_gvk:
            sys.exit("update-schemas: %s/%s %s not in %s" % (gvk + (path,)))
        api = gvk[1] if not gvk[0] else "%s/%s" % (gvk[0], gvk[1])
        kinds["%s/%s" % (api, gvk[2])] = by_gvk[gvk]
        todo.append(by_gvk[gvk])
    keep = {}
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = strip(defs[name])
        found = set()
        refs(defs[name], found)
        todo.extend(found - keep.keys())
    return {"source": "Kubernetes %s api/openapi-spec/swagger.json (trimmed)" % release,
            "kinds": kinds, "definitions": dict(sorted(keep.items()))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k8s", required=True)
    ap.add_argument("--k8s-release", required=True)
    ap.add_argument("--compose", required=True)
    ap.add_argument("--compose-rev", required=True)
    a = ap.parse_args()
    bundle = k8s_bundle(a.k8s, a.k8s_release)
    with open(os.path.join(HERE, "k8s-openapi.json"), "w") as f:
        json.dump(bundle, f, indent=None, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    with open(a.compose) as f:
        compose = strip(json.load(f))
    compose["$comment"] = "compose-spec/compose-spec %s schema/compose-spec.json (trimmed)" % \
        a.compose_rev
    with open(os.path.join(HERE, "compose-spec.json"), "w") as f:
        json.dump(compose, f, indent=1, sort_keys=True)
        f.write("\n")
    print("k8s: %d kinds, %d definitions; compose: %d definitions" %
          (len(bundle["kinds"]), len(bundle["definitions"]), len(compose["definitions"])))


if __name__ == "__main__":
    main()
