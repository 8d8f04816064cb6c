#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Offline checks of Bulwark's deployment files.  Exit 0 clean, 1 findings,
2 usage, 77 when a tool this machine lacks is needed (ctest: skipped).

  validate.py k8s     [--src DIR]        render deploy/k8s and check it all
  validate.py compose [--src DIR] [FILE] deploy/compose/docker-compose.yml
  validate.py docker  [--src DIR] [--bin DIR]
  validate.py crds    [--src DIR]        CRD YAML is what gen-crds.py writes
  validate.py files   [--src DIR] FILE.. Kubernetes files (CRDs of the render known)
  validate.py configs [--src DIR] --bin DIR   the daemons' --check-config on every
                                         config file and flag set deployed
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import jsonschema  # noqa: F401
    import yaml  # noqa: F401
except ImportError as e:
    print("skip: Python module %s is missing (Debian: python3-yaml python3-jsonschema)" %
          e.name, file=sys.stderr)
    sys.exit(77)

from bwdeploy import bulwark, compose, configs, docker, k8s, yamlio  # noqa: E402
from bwdeploy.report import Report  # noqa: E402


def render(src, report):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        print("skip: kubectl (for its built-in kustomize) is not installed", file=sys.stderr)
        sys.exit(77)
    res = subprocess.run([kubectl, "kustomize", os.path.join(src, "deploy", "k8s")],
                         capture_output=True, text=True)
    if res.returncode != 0:
        report.error("kubectl kustomize deploy/k8s", res.stderr.strip())
        return []
    return yamlio.load_all(res.stdout, "kubectl kustomize deploy/k8s")


def policy_files(src):
    return sorted(glob.glob(os.path.join(src, "deploy", "k8s", "examples", "*.yaml")) +
                  glob.glob(os.path.join(src, "deploy", "compose", "policies", "*.yaml")))


def cmd_k8s(a, report):
    schemas = k8s.Schemas()
    m = k8s.Manifests(schemas, report)
    m.add(render(a.src, report), "render")
    rendered = list(m.objs)
    for path in policy_files(a.src):
        try:
            m.add(yamlio.load_file(path), os.path.relpath(path, a.src))
        except yamlio.Error as e:
            report.error(path, str(e))
    m.validate()
    bulwark.k8s(rendered, report)
    report.count("policies", sum(1 for _, d in m.objs if d.get("apiVersion", "").startswith(
        bulwark.GROUP)))


def cmd_files(a, report):
    schemas = k8s.Schemas()
    m = k8s.Manifests(schemas, report)
    m.add(render(a.src, report), "render")
    ours = len(m.objs)
    for path in a.files:
        try:
            m.add(yamlio.load_file(path), path)
        except (yamlio.Error, OSError) as e:
            report.error(path, str(e))
    extra = k8s.Manifests(schemas, report)
    extra.objs = m.objs[ours:]
    # Only the given files' own findings: references may point into the render.
    for where, doc in extra.objs:
        extra._schema(where, doc)
        extra._meta(where, doc, {})
    m.objs = m.objs  # references resolved against render + files
    for where, doc in extra.objs:
        kind = doc.get("kind")
        ns = (doc.get("metadata") or {}).get("namespace")
        if kind in k8s.WORKLOADS:
            m._workload(where, doc, ns)
        elif kind == "Service":
            m._service(where, doc, ns)
        elif kind in ("ClusterRoleBinding", "RoleBinding"):
            m._binding(where, doc, ns)


def cmd_compose(a, report):
    path = a.file or os.path.join(a.src, "deploy", "compose", "docker-compose.yml")
    model = compose.validate(path, report, env={})
    if model is not None and not a.file:
        bulwark.compose(model, report, os.path.relpath(path, a.src))


def cmd_docker(a, report):
    files = sorted(glob.glob(os.path.join(a.src, "deploy", "docker", "*.Dockerfile")))
    if not files:
        report.error("deploy/docker", "no Dockerfiles")
    for f in files:
        name = os.path.basename(f).split(".")[0]
        docker.validate(f, a.src, report, bindir=a.bin, nonroot=name != "agent")
        if not os.path.exists(f + ".dockerignore"):
            report.error(os.path.relpath(f, a.src), "no %s.dockerignore beside it" %
                         os.path.basename(f))


def cmd_crds(a, report):
    gen = os.path.join(a.src, "deploy", "k8s", "crds", "gen-crds.py")
    res = subprocess.run([sys.executable, gen, "--check"], capture_output=True, text=True)
    if res.returncode != 0:
        report.error(gen, res.stderr.strip() or "exit %d" % res.returncode)
    report.count("crds", len(glob.glob(os.path.join(os.path.dirname(gen), "*.yaml"))))


def cmd_configs(a, report):
    if not a.bin or not any(os.access(os.path.join(a.bin, b), os.X_OK)
                            for b in configs.IMAGE_CONFIG):
        print("skip: no bulwark daemons built in %s" % a.bin, file=sys.stderr)
        sys.exit(77)
    objs = [(w, d) for w, d in enumerate(render(a.src, report)) if isinstance(d, dict)]
    objs = [("render: %s/%s" % (d.get("kind"), (d.get("metadata") or {}).get("name")), d)
            for _, d in objs]
    model = compose.validate(os.path.join(a.src, "deploy", "compose", "docker-compose.yml"),
                             Report(), env={})
    configs.run(a.src, a.bin, report, objs, model)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["k8s", "compose", "docker", "crds", "files", "configs"])
    ap.add_argument("--src", default=os.environ.get("BW_SRC") or
                    os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--bin", default=None, help="directory of built binaries")
    ap.add_argument("file", nargs="?", help="compose: another Compose file")
    ap.add_argument("files", nargs="*", help="files: Kubernetes YAML files")
    a = ap.parse_args()
    if a.what == "files":
        a.files = ([a.file] if a.file else []) + a.files
    report = Report()
    {"k8s": cmd_k8s, "compose": cmd_compose, "docker": cmd_docker, "crds": cmd_crds,
     "files": cmd_files, "configs": cmd_configs}[a.what](a, report)
    return report.finish("deploy-" + a.what)


if __name__ == "__main__":
    sys.exit(main())
