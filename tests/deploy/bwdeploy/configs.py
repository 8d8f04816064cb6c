# SPDX-License-Identifier: Apache-2.0
"""The daemons themselves check the settings every deployment gives them.

Each bulwark daemon validates its configuration with --check-config (file
keys, flag keys, types, bounds, enumerations), so for every place a daemon
is started - the images' defaults, each Compose service, each container of
the rendered Kubernetes manifests - this runs the built binary with the same
file (the ConfigMap's content, or the file the image copies) and the same
flags, and reports what it rejects.
"""
import os
import re
import subprocess
import tempfile

IMAGE_BINARY = {"bulwark/controller": "bulwark-controller", "bulwark/relay": "bulwark-relay",
                "bulwark/agent": "bulwark-agent"}
IMAGE_CONFIG = {"bulwark-controller": "controller.yaml", "bulwark-relay": "relay.yaml",
                "bulwark-agent": "agent.yaml"}


class Runner:
    def __init__(self, bindir, report):
        self.bindir = bindir
        self.report = report
        self.help = {}

    def binary(self, name):
        path = os.path.join(self.bindir, name) if self.bindir else None
        if not path or not os.access(path, os.X_OK):
            self.report.count("binaries_not_built")
            return None
        return path

    def check(self, where, name, args):
        path = self.binary(name)
        if not path:
            return
        res = subprocess.run([path] + args + ["--check-config"], capture_output=True, text=True,
                             timeout=30)
        self.report.count("configs_checked")
        if res.returncode != 0 or "configuration is valid" not in res.stdout:
            msg = (res.stderr.strip() or res.stdout.strip()).splitlines()
            self.report.error(where, "%s rejects its settings: %s" %
                              (name, msg[0] if msg else "exit %d" % res.returncode))

    def knows_flag(self, name, flag):
        path = self.binary(name)
        if not path:
            return None
        if name not in self.help:
            self.help[name] = subprocess.run([path, "--help"], capture_output=True, text=True,
                                             timeout=30).stdout
        return re.search(r"(^|\s)%s(\s|=|$)" % re.escape(flag), self.help[name], re.M) is not None


def _image_name(image):
    """bulwark/agent:0.1.0 -> bulwark-agent; None for other images."""
    if not image:
        return None
    base = str(image).split("@")[0]
    if ":" in base.rsplit("/", 1)[-1]:
        base = base[:base.rfind(":")]
    return IMAGE_BINARY.get(base)


def _localize(args, config_files):
    """Points --config at the local copy of the file the container would read."""
    out, i = [], 0
    while i < len(args):
        a = str(args[i])
        if a == "--config" and i + 1 < len(args):
            out += ["--config", config_files.get(args[i + 1], args[i + 1])]
            i += 2
            continue
        if a.startswith("--config="):
            path = a.split("=", 1)[1]
            out.append("--config=" + config_files.get(path, path))
        else:
            out.append(a)
        i += 1
    return out


def images(src, runner):
    for name, cfg in IMAGE_CONFIG.items():
        runner.check("deploy/docker/config/" + cfg, name,
                     ["--config", os.path.join(src, "deploy", "docker", "config", cfg)])


def compose(src, model, runner):
    files = {"/etc/bulwark/" + c: os.path.join(src, "deploy", "docker", "config", c)
             for c in IMAGE_CONFIG.values()}
    for svc_name, svc in ((model or {}).get("services") or {}).items():
        name = _image_name(svc.get("image"))
        entry = svc.get("entrypoint")
        if not name or (entry and os.path.basename(str(entry[0])) != name):
            continue
        cmd = svc.get("command") or ["--config", "/etc/bulwark/" + IMAGE_CONFIG[name]]
        runner.check("compose service " + svc_name, name, _localize(list(cmd), files))


def k8s(objs, runner, tmpdir):
    configmaps = {}
    for _, doc in objs:
        if doc.get("kind") == "ConfigMap":
            configmaps[doc["metadata"]["name"]] = doc.get("data") or {}
    for where, doc in objs:
        if doc.get("kind") not in ("Deployment", "DaemonSet", "StatefulSet"):
            continue
        pod = doc["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        for c in pod.get("containers") or []:
            name = _image_name(c.get("image"))
            if not name:
                continue
            files = {}
            for m in c.get("volumeMounts") or []:
                cm = (volumes.get(m["name"]) or {}).get("configMap")
                if not cm:
                    continue
                for key, text in configmaps.get(cm["name"], {}).items():
                    local = os.path.join(tmpdir, "%s-%s" % (cm["name"], key))
                    with open(local, "w") as f:
                        f.write(text)
                    files[os.path.join(m["mountPath"], key)] = local
            env = {e["name"]: "node-1" if "fieldRef" in (e.get("valueFrom") or {}) else
                   e.get("value", "") for e in c.get("env") or []}
            args = [re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda mo: env.get(mo.group(1), ""),
                           str(a)) for a in (c.get("command") or [])[1:] + (c.get("args") or [])]
            runner.check("%s container %s" % (where, c.get("name")), name, _localize(args, files))
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                cmd = ((c.get(probe) or {}).get("exec") or {}).get("command") or []
                if cmd and os.path.basename(cmd[0]) == name:
                    for flag in cmd[1:]:
                        known = runner.knows_flag(name, flag)
                        if known is False:
                            runner.report.count("pending_flags")
                            print("pending: %s has no %s yet; the %s of %s calls it" %
                                  (name, flag, probe, where))


def run(src, bindir, report, render_objs, compose_model):
    runner = Runner(bindir, report)
    images(src, runner)
    compose(src, compose_model, runner)
    with tempfile.TemporaryDirectory() as tmp:
        k8s(render_objs, runner, tmp)
    return runner
