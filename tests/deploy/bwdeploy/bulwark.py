# SPDX-License-Identifier: Apache-2.0
"""What Bulwark's own deployment files must say, beyond being valid.

The agent needs the host (pid namespace, bpffs, securityfs, tracefs, BTF,
runtime state); everything else runs unprivileged; only the controller may
talk to the API server, and only to read what it compiles and to write
policy status.
"""
GROUP = "security.kubearmor.com"
POLICY_KINDS = {"KubeArmorPolicy": ("kubearmorpolicies", "Namespaced"),
                "KubeArmorHostPolicy": ("kubearmorhostpolicies", "Cluster"),
                "KubeArmorClusterPolicy": ("kubearmorclusterpolicies", "Cluster")}
AGENT_MOUNTS = ["/sys/fs/bpf", "/sys/kernel/security", "/sys/kernel/tracing", "/sys/kernel/btf",
                "/sys/fs/cgroup", "/run/containerd", "/run/runc"]
READ_VERBS = {"get", "list", "watch"}
STATUS_VERBS = READ_VERBS | {"update", "patch"}


def compose(model, report, path):
    services = (model or {}).get("services") or {}
    agent = services.get("agent")
    if not agent:
        report.error(path, "no agent service")
    else:
        where = path + ": service agent"
        if agent.get("privileged") is not True:
            report.error(where, "must be privileged (BPF, AppArmor)")
        if agent.get("pid") != "host":
            report.error(where, "needs pid: host to see every process")
        targets = set()
        for v in agent.get("volumes") or []:
            targets.add(v.get("target") if isinstance(v, dict) else str(v).split(":")[1])
        for m in AGENT_MOUNTS:
            if m not in targets:
                report.error(where, "does not mount %s" % m)
    for name in ("controller", "relay"):
        svc = services.get(name)
        if not svc:
            report.error(path, "no %s service" % name)
            continue
        if svc.get("privileged") or svc.get("pid") == "host":
            report.error("%s: service %s" % (path, name), "must not be privileged")
        if "ALL" not in (svc.get("cap_drop") or []):
            report.error("%s: service %s" % (path, name), "should drop all capabilities")
    if "redis" not in services:
        report.error(path, "no redis service")
    labelled = [n for n, s in services.items() if (s or {}).get("labels")
                and n not in ("agent", "controller", "relay", "redis")]
    if not labelled:
        report.error(path, "no labelled demo workload")
    loader = [n for n, s in services.items()
              if "apply" in ((s or {}).get("command") or [])]
    if not loader:
        report.error(path, "no one-shot service that applies the example policies")


def _containers(doc):
    pod = doc["spec"]["template"]["spec"]
    return pod, (pod.get("initContainers") or []) + (pod.get("containers") or [])


def k8s(objs, report):
    kinds = {}
    for where, doc in objs:
        kinds.setdefault(doc.get("kind"), []).append((where, doc))
    crds = {d["spec"]["names"]["kind"]: d for _, d in kinds.get("CustomResourceDefinition", [])}
    for kind, (plural, scope) in POLICY_KINDS.items():
        d = crds.get(kind)
        if not d:
            report.error("render", "no CRD for %s" % kind)
            continue
        s = d["spec"]
        versions = {v["name"]: v for v in s.get("versions", [])}
        if s.get("group") != GROUP or s["names"].get("plural") != plural or \
                s.get("scope") != scope:
            report.error("CRD " + kind, "must be %s.%s, scope %s" % (plural, GROUP, scope))
        v1 = versions.get("v1")
        if not v1 or not v1.get("served") or not v1.get("storage"):
            report.error("CRD " + kind, "v1 must be served and stored")
        elif "status" not in (v1.get("subresources") or {}):
            report.error("CRD " + kind, "needs the status subresource for write-back")
    for where, doc in kinds.get("DaemonSet", []) + kinds.get("Deployment", []) + \
            kinds.get("StatefulSet", []):
        pod, containers = _containers(doc)
        agent = doc.get("kind") == "DaemonSet"
        for c in containers:
            cw = "%s container %s" % (where, c.get("name"))
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(part) or {}):
                        report.error(cw, "resources.%s.%s is not set" % (part, r))
            sc = c.get("securityContext") or {}
            if agent:
                continue
            if sc.get("privileged") or sc.get("allowPrivilegeEscalation", True):
                report.error(cw, "must not be privileged nor escalate privileges")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                report.error(cw, "should drop all capabilities")
            if not sc.get("readOnlyRootFilesystem"):
                report.error(cw, "should have a read-only root filesystem")
            if not (pod.get("securityContext") or {}).get("runAsNonRoot"):
                report.error(cw, "pod should set runAsNonRoot")
        sa = pod.get("serviceAccountName", "default")
        token = pod.get("automountServiceAccountToken")
        if sa != "bulwark-controller" and token is not False:
            report.error(where, "only the controller needs an API token; set "
                         "automountServiceAccountToken: false")
        if agent:
            _agent(where, pod, containers, report)
    for where, doc in kinds.get("ClusterRole", []) + kinds.get("Role", []):
        for i, rule in enumerate(doc.get("rules") or []):
            rw = "%s rule %d" % (where, i)
            if "*" in rule.get("verbs", []) or "*" in rule.get("resources", []) or \
                    "*" in rule.get("apiGroups", []):
                report.error(rw, "wildcards are not least privilege")
            status = all(r.endswith("/status") for r in rule.get("resources", []))
            allowed = STATUS_VERBS if status else READ_VERBS
            extra = set(rule.get("verbs", [])) - allowed
            if extra:
                report.error(rw, "verbs %s beyond %s" % (sorted(extra), sorted(allowed)))
    for where, doc in kinds.get("ClusterRoleBinding", []) + kinds.get("RoleBinding", []):
        for s in doc.get("subjects") or []:
            if s.get("name") != "bulwark-controller":
                report.error(where, "binds a role to %s; only the controller needs one" %
                             s.get("name"))
    if not kinds.get("DaemonSet"):
        report.error("render", "no agent DaemonSet")
    if not kinds.get("StatefulSet"):
        report.error("render", "no Redis StatefulSet")


def _agent(where, pod, containers, report):
    if not pod.get("hostPID"):
        report.error(where, "needs hostPID")
    if not any(t.get("operator") == "Exists" and not t.get("key")
               for t in pod.get("tolerations") or []):
        report.error(where, "should tolerate every taint (operator: Exists)")
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    for c in containers:
        cw = "%s container %s" % (where, c.get("name"))
        if not (c.get("securityContext") or {}).get("privileged"):
            report.error(cw, "must be privileged")
        if not c.get("readinessProbe"):
            report.error(cw, "needs a readiness probe on the agent's health")
        mounted = {}
        for m in c.get("volumeMounts") or []:
            hp = (volumes.get(m["name"]) or {}).get("hostPath", {}).get("path")
            mounted[m["mountPath"]] = hp
        for path in AGENT_MOUNTS:
            if mounted.get(path) != path:
                report.error(cw, "does not mount the host's %s at %s" % (path, path))
