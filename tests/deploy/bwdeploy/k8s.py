# SPDX-License-Identifier: Apache-2.0
"""Offline validation of rendered Kubernetes manifests.

What `kubectl apply --dry-run=server` would check without a cluster:
every object against the OpenAPI schema of its kind (from a Kubernetes
release, bundled in schemas/k8s-openapi.json) with strict field validation
(unknown fields are errors, as kubectl's default --validate=strict makes
them), custom resources against the openAPIV3Schema of their CRD, and the
cross-object references the API server or the kubelet would trip over at
run time (names, selectors, volumes, service accounts, roles).
"""
import copy
import json
import os
import re

import jsonschema

from .report import Report

SCHEMAS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PriorityClass", "PersistentVolume", "Node", "StorageClass"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
BUILTIN_PRIORITY = {"system-node-critical", "system-cluster-critical"}

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _strict(node, crd=False):
    """Converts an OpenAPI schema node into JSON Schema with strict fields."""
    if isinstance(node, list):
        return [_strict(v, crd) for v in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string"):
        return {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    out = {}
    for k, v in node.items():
        if k in ("properties", "definitions", "patternProperties"):
            out[k] = {name: _strict(s, crd) for name, s in v.items()}
        elif k in ("items", "additionalProperties", "not"):
            out[k] = _strict(v, crd)
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [_strict(s, crd) for s in v]
        elif k == "format":
            continue  # int32, date-time, byte ...: the API server parses, we do not
        elif k.startswith("x-kubernetes-"):
            continue
        else:
            out[k] = v
    if ("properties" in node and "additionalProperties" not in node and
            not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


class Schemas:
    def __init__(self, path=None):
        with open(path or os.path.join(SCHEMAS, "k8s-openapi.json")) as f:
            bundle = json.load(f)
        self.source = bundle["source"]
        self.kinds = bundle["kinds"]
        defs = {name: _strict(d) for name, d in bundle["definitions"].items()}
        # Quantities are written as strings or bare numbers ("500m", 1).
        defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {
            "anyOf": [{"type": "string"}, {"type": "number"}]}
        self.defs = defs
        self.crds = {}  # "group/version/Kind" -> (scope, validator)
        self._validators = {}

    def validator(self, key):
        if key not in self._validators:
            schema = {"definitions": self.defs,
                      "allOf": [{"$ref": "#/definitions/" + self.kinds[key]}]}
            self._validators[key] = jsonschema.Draft7Validator(schema)
        return self._validators[key]

    def add_crd(self, crd, report, where):
        spec = crd.get("spec", {})
        group = spec.get("group", "")
        kind = spec.get("names", {}).get("kind", "")
        plural = spec.get("names", {}).get("plural", "")
        if crd.get("metadata", {}).get("name") != "%s.%s" % (plural, group):
            report.error(where, "CRD name must be <plural>.<group> = %s.%s" % (plural, group))
        for v in spec.get("versions", []):
            schema = v.get("schema", {}).get("openAPIV3Schema")
            if schema is None:
                report.error(where, "version %s has no openAPIV3Schema" % v.get("name"))
                continue
            _structural(schema, "openAPIV3Schema", report, where)
            body = _strict(copy.deepcopy(schema), crd=True)
            self.crds["%s/%s/%s" % (group, v.get("name"), kind)] = (
                spec.get("scope"), jsonschema.Draft7Validator(body))


def _structural(node, path, report, where):
    """Kubernetes requires structural CRD schemas: every node states its type."""
    if not isinstance(node, dict):
        return
    if "type" not in node and not node.get("x-kubernetes-int-or-string") and \
            not node.get("x-kubernetes-preserve-unknown-fields"):
        report.error(where, "%s: structural schemas need a type" % path)
    for name, sub in node.get("properties", {}).items():
        _structural(sub, "%s.%s" % (path, name), report, where)
    if isinstance(node.get("items"), dict):
        _structural(node["items"], path + "[]", report, where)
    if isinstance(node.get("additionalProperties"), dict):
        _structural(node["additionalProperties"], path + "{}", report, where)


def _path(err):
    out = ""
    for p in err.absolute_path:
        out += "[%d]" % p if isinstance(p, int) else (".%s" % p if out else str(p))
    return out or "(top)"


def _best(errors):
    """The deepest error of each branch: what a person needs to fix."""
    shown = []
    for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        leaf = jsonschema.exceptions.best_match([e])
        shown.append("at %s: %s" % (_path(leaf), leaf.message))
    return shown


def check_labels(labels, report, where, what):
    for k, v in (labels or {}).items():
        name = k.split("/", 1)[-1]
        prefix = k.split("/", 1)[0] if "/" in k else None
        if prefix is not None and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
            report.error(where, "%s key %r: bad prefix" % (what, k))
        if len(name) > 63 or not LABEL_NAME.match(name):
            report.error(where, "%s key %r: bad name" % (what, k))
        if what == "label" and (not isinstance(v, str) or len(v) > 63 or
                                not LABEL_VALUE.match(v)):
            report.error(where, "%s %s=%r: bad value" % (what, k, v))


def ident(doc):
    return "%s/%s" % (doc.get("kind", "?"), (doc.get("metadata") or {}).get("name", "?"))


class Manifests:
    """A set of objects (one rendered kustomization, plus extra files)."""

    def __init__(self, schemas, report):
        self.schemas = schemas
        self.report = report
        self.objs = []  # (where, doc)

    def add(self, docs, origin):
        for i, doc in enumerate(docs):
            if doc is None:
                continue
            where = "%s: doc %d (%s)" % (origin, i + 1, ident(doc) if isinstance(doc, dict)
                                         else "?")
            if not isinstance(doc, dict):
                self.report.error(where, "not a mapping")
                continue
            self.objs.append((where, doc))
            if doc.get("kind") == "CustomResourceDefinition":
                self.schemas.add_crd(doc, self.report, where)

    def validate(self):
        seen = {}
        for where, doc in self.objs:
            self._schema(where, doc)
            self._meta(where, doc, seen)
        self._references()

    def _schema(self, where, doc):
        api, kind = doc.get("apiVersion"), doc.get("kind")
        if not isinstance(api, str) or not isinstance(kind, str):
            self.report.error(where, "apiVersion and kind must be strings")
            return
        key = "%s/%s" % (api, kind)
        crd_key = "%s/%s" % (api if "/" in api else "/" + api, kind)
        if key in self.schemas.kinds:
            errors = list(self.schemas.validator(key).iter_errors(doc))
        elif crd_key in self.schemas.crds:
            errors = list(self.schemas.crds[crd_key][1].iter_errors(doc))
        else:
            self.report.error(where, "%s is not a kind of %s nor of a CRD given" %
                              (key, self.schemas.source))
            return
        for msg in _best(errors):
            self.report.error(where, msg)
        self.report.count("objects")

    def scope(self, doc):
        kind = doc.get("kind")
        if kind in CLUSTER_SCOPED:
            return "Cluster"
        api = doc.get("apiVersion", "")
        key = "%s/%s" % (api if "/" in api else "/" + api, kind)
        if key in self.schemas.crds:
            return self.schemas.crds[key][0]
        return "Namespaced"

    def _meta(self, where, doc, seen):
        meta = doc.get("metadata") or {}
        name = meta.get("name")
        kind = doc.get("kind")
        if not isinstance(name, str) or not name:
            self.report.error(where, "metadata.name is required")
            return
        rule = DNS1035_LABEL if kind == "Service" else (
            DNS1123_LABEL if kind == "Namespace" else DNS1123_SUBDOMAIN)
        limit = 63 if kind in ("Service", "Namespace") else 253
        if len(name) > limit or not rule.match(name):
            self.report.error(where, "metadata.name %r is not a valid %s name" % (name, kind))
        ns = meta.get("namespace")
        if self.scope(doc) == "Cluster" and ns:
            self.report.error(where, "%s is cluster-scoped but has namespace %r" % (kind, ns))
        if ns is not None and not DNS1123_LABEL.match(ns):
            self.report.error(where, "metadata.namespace %r is not a valid name" % ns)
        check_labels(meta.get("labels"), self.report, where, "label")
        check_labels(meta.get("annotations"), self.report, where, "annotation")
        key = (doc.get("apiVersion", "").split("/")[0], kind, ns, name)
        if key in seen:
            self.report.error(where, "duplicate of %s" % seen[key])
        seen[key] = where

    # --- references between objects ---------------------------------------

    def find(self, kind, name, ns=None):
        for _, doc in self.objs:
            meta = doc.get("metadata") or {}
            if doc.get("kind") == kind and meta.get("name") == name and \
                    (ns is None or meta.get("namespace") in (ns, None)):
                return doc
        return None

    def _references(self):
        for where, doc in self.objs:
            kind = doc.get("kind")
            ns = (doc.get("metadata") or {}).get("namespace")
            if kind in WORKLOADS:
                self._workload(where, doc, ns)
            elif kind == "Service":
                self._service(where, doc, ns)
            elif kind in ("ClusterRoleBinding", "RoleBinding"):
                self._binding(where, doc, ns)

    def _workload(self, where, doc, ns):
        spec = doc.get("spec") or {}
        tpl = spec.get("template") or {}
        labels = (tpl.get("metadata") or {}).get("labels") or {}
        sel = (spec.get("selector") or {}).get("matchLabels") or {}
        if doc["kind"] != "Job":
            if not sel:
                self.report.error(where, "spec.selector.matchLabels is empty")
            for k, v in sel.items():
                if labels.get(k) != v:
                    self.report.error(where, "selector %s=%s does not match the pod template's "
                                      "labels" % (k, v))
        pod = tpl.get("spec") or {}
        sa = pod.get("serviceAccountName")
        if sa and sa != "default" and not self.find("ServiceAccount", sa, ns):
            self.report.error(where, "serviceAccountName %r: no such ServiceAccount" % sa)
        pc = pod.get("priorityClassName")
        if pc and pc not in BUILTIN_PRIORITY and not self.find("PriorityClass", pc):
            self.report.error(where, "priorityClassName %r: no such PriorityClass" % pc)
        volumes = {}
        for v in pod.get("volumes") or []:
            if v.get("name") in volumes:
                self.report.error(where, "volume %r declared twice" % v.get("name"))
            volumes[v.get("name")] = v
            cm = (v.get("configMap") or {}).get("name")
            if cm and not (v["configMap"].get("optional") or self.find("ConfigMap", cm, ns)):
                self.report.error(where, "volume %r: no ConfigMap %r" % (v["name"], cm))
            sec = (v.get("secret") or {}).get("secretName")
            if sec and not (v["secret"].get("optional") or self.find("Secret", sec, ns)):
                self.report.error(where, "volume %r: no Secret %r" % (v["name"], sec))
        claims = {c.get("metadata", {}).get("name")
                  for c in spec.get("volumeClaimTemplates") or []}
        used = set()
        names = set()
        for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            cname = c.get("name")
            cw = "%s container %s" % (where, cname)
            if cname in names:
                self.report.error(cw, "container name used twice")
            names.add(cname)
            ports = set()
            for p in c.get("ports") or []:
                if "name" in p:
                    if len(p["name"]) > 15 or not PORT_NAME.match(p["name"]):
                        self.report.error(cw, "port name %r: at most 15 lower-case "
                                          "alphanumerics and '-'" % p["name"])
                    ports.add(p["name"])
            for m in c.get("volumeMounts") or []:
                if m.get("name") not in volumes and m.get("name") not in claims:
                    self.report.error(cw, "volumeMount %r: no such volume" % m.get("name"))
                used.add(m.get("name"))
                if m.get("mountPropagation") == "Bidirectional" and \
                        not (c.get("securityContext") or {}).get("privileged"):
                    self.report.error(cw, "Bidirectional mount propagation needs a "
                                      "privileged container")
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                for handler in ("tcpSocket", "httpGet", "grpc"):
                    port = ((c.get(probe) or {}).get(handler) or {}).get("port")
                    if isinstance(port, str) and port not in ports:
                        self.report.error(cw, "%s port %r: no container port of that name" %
                                          (probe, port))
            env_names = [e.get("name") for e in c.get("env") or []]
            for arg in (c.get("args") or []) + (c.get("command") or []):
                for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg):
                    if ref not in env_names:
                        self.report.error(cw, "argument refers to $(%s), which is not in "
                                          "env" % ref)
        for v in volumes:
            if v not in used:
                self.report.error(where, "volume %r is never mounted" % v)

    def pod_templates(self, ns):
        for where, doc in self.objs:
            if doc.get("kind") in WORKLOADS and \
                    (doc.get("metadata") or {}).get("namespace") == ns:
                yield where, doc["spec"]["template"]

    def _service(self, where, doc, ns):
        spec = doc.get("spec") or {}
        sel = spec.get("selector")
        if not sel:
            return
        matches = [tpl for _, tpl in self.pod_templates(ns)
                   if all((tpl.get("metadata") or {}).get("labels", {}).get(k) == v
                          for k, v in sel.items())]
        if not matches:
            self.report.error(where, "selector %s matches no pod template in namespace %s" %
                              (sel, ns))
            return
        for p in spec.get("ports") or []:
            tp = p.get("targetPort")
            if isinstance(tp, str):
                for tpl in matches:
                    named = {cp.get("name") for c in tpl["spec"].get("containers", [])
                             for cp in c.get("ports") or []}
                    if tp not in named:
                        self.report.error(where, "targetPort %r: the selected pods have no "
                                          "port of that name" % tp)

    def _binding(self, where, doc, ns):
        ref = doc.get("roleRef") or {}
        if not self.find(ref.get("kind"), ref.get("name")):
            self.report.error(where, "roleRef %s/%s is not in these manifests" %
                              (ref.get("kind"), ref.get("name")))
        for s in doc.get("subjects") or []:
            if s.get("kind") == "ServiceAccount" and \
                    not self.find("ServiceAccount", s.get("name"), s.get("namespace") or ns):
                self.report.error(where, "subject ServiceAccount %s/%s does not exist" %
                                  (s.get("namespace"), s.get("name")))
