# SPDX-License-Identifier: Apache-2.0
"""Offline validation of a Compose file, as `docker compose config` would do.

Interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error},
${VAR?error}, $$), the Compose Specification's JSON schema (bundled in
schemas/compose-spec.json), then what the schema cannot say: references
between services and volumes, dependency cycles, health conditions, build
contexts and bind-mount sources that must exist.
"""
import json
import os
import re

import jsonschema

from . import yamlio

SCHEMA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas",
                      "compose-spec.json")

_VAR = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}"
                  r"|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value, env, where, report):
    if isinstance(value, dict):
        return {k: interpolate(v, env, "%s.%s" % (where, k), report) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, "%s[%d]" % (where, i), report) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def sub(m):
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(5)
        op, arg = m.group(3), m.group(4) or ""
        val = env.get(name)
        if op is None:
            return val or ""
        unset_or_empty = val is None or (op.startswith(":") and val == "")
        if op.endswith("-"):
            return interpolate(arg, env, where, report) if unset_or_empty else val
        if op.endswith("+"):
            return "" if unset_or_empty else interpolate(arg, env, where, report)
        if unset_or_empty:  # ? and :?
            report.error(where, "required variable %s is unset: %s" % (name, arg))
            return ""
        return val

    if "$" in value and re.search(r"\$\{[^}]*$", value):
        report.error(where, "unterminated ${ in %r" % value)
    return _VAR.sub(sub, value)


def _services_list(v):
    if isinstance(v, dict):
        return list(v.keys())
    return list(v or [])


def validate(path, report, env=None):
    env = dict(os.environ if env is None else env)
    base = os.path.dirname(os.path.abspath(path))
    try:
        docs = yamlio.load_file(path)
    except yamlio.Error as e:
        report.error(path, str(e))
        return None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        report.error(path, "a Compose file is one YAML mapping")
        return None
    model = interpolate(docs[0], env, "", report)
    with open(SCHEMA) as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    for e in sorted(validator.iter_errors(model), key=lambda e: list(map(str, e.path))):
        leaf = jsonschema.exceptions.best_match([e])
        report.error(path, "at %s: %s" % ("/".join(map(str, leaf.absolute_path)) or "(top)",
                                          leaf.message))
    services = model.get("services") or {}
    volumes = model.get("volumes") or {}
    report.count("services", len(services))
    for name, svc in services.items():
        where = "%s: service %s" % (path, name)
        if not isinstance(svc, dict):
            continue
        if "image" not in svc and "build" not in svc:
            report.error(where, "needs an image or a build")
        deps = svc.get("depends_on") or {}
        for dep in _services_list(deps):
            if dep not in services:
                report.error(where, "depends_on %r: no such service" % dep)
            elif isinstance(deps, dict) and (deps[dep] or {}).get("condition") == \
                    "service_healthy" and "healthcheck" not in services[dep]:
                report.error(where, "waits for %s to be healthy, which has no healthcheck" %
                             dep)
        build = svc.get("build")
        if isinstance(build, str):
            build = {"context": build}
        if isinstance(build, dict):
            ctx = os.path.normpath(os.path.join(base, build.get("context", ".")))
            dockerfile = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
            if not os.path.isdir(ctx):
                report.error(where, "build context %s does not exist" % ctx)
            elif not os.path.isfile(dockerfile):
                report.error(where, "Dockerfile %s does not exist" % dockerfile)
        for i, vol in enumerate(svc.get("volumes") or []):
            src, kind = _volume_source(vol)
            if kind == "volume" and src and src not in volumes:
                report.error(where, "volumes[%d]: named volume %r is not declared under the "
                             "top-level volumes" % (i, src))
            if kind == "bind" and src and src.startswith("."):
                full = os.path.normpath(os.path.join(base, src))
                if not os.path.exists(full):
                    report.error(where, "volumes[%d]: bind source %s does not exist" % (i, full))
    _cycles(path, services, report)
    return model


def _volume_source(vol):
    if isinstance(vol, dict):
        return vol.get("source"), vol.get("type", "volume")
    parts = str(vol).split(":")
    if len(parts) == 1:
        return None, "anonymous"
    src = parts[0]
    if src.startswith(("/", ".", "~")):
        return src, "bind"
    return src, "volume"


def _cycles(path, services, report):
    state = {}

    def visit(name, stack):
        if state.get(name) == 1:
            report.error(path, "depends_on cycle: %s" % " -> ".join(stack + [name]))
            return
        if state.get(name) == 2 or name not in services:
            return
        state[name] = 1
        for dep in _services_list((services[name] or {}).get("depends_on")):
            visit(dep, stack + [name])
        state[name] = 2

    for name in services:
        visit(name, [])
