#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the CustomResourceDefinitions for KubeArmor's policy kinds.

Bulwark accepts KubeArmor policies unchanged, so the three CRDs serve the
group security.kubearmor.com, version v1, with the field names, enums,
patterns and bounds KubeArmor's API defines (checked field by field against
KubeArmor's published CRDs when this file was written).  The schema is built
here from small pieces (an action, a source list, a file rule, ...) because
the three kinds share almost all of them; the YAML files beside this script
are its output and tests/deploy checks they are current:

    deploy/k8s/crds/gen-crds.py            # rewrite the YAML files
    deploy/k8s/crds/gen-crds.py --check    # exit 1 if they are stale
"""
import os
import sys

import yaml

GROUP = "security.kubearmor.com"
HERE = os.path.dirname(os.path.abspath(__file__))

# x86_64 system call numbers 0..334 in order: the names a syscalls rule may use.
SYSCALLS = """
read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction
rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select
sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep
getitimer alarm setitimer getpid sendfile socket connect accept sendto recvfrom sendmsg
recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt
clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd
msgrcv msgctl fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir
fchdir rename mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown
lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog getgid
setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid
getgroups setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid
getsid capget capset rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend
sigaltstack utime mknod uselib personality ustat statfs fstatfs sysfs getpriority
setpriority sched_setparam sched_getparam sched_setscheduler sched_getscheduler
sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock
mlockall munlockall vhangup modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex
setrlimit chroot sync acct settimeofday mount umount2 swapon swapoff reboot sethostname
setdomainname iopl ioperm create_module init_module delete_module get_kernel_syms
query_module quotactl nfsservctl getpmsg putpmsg afs_syscall tuxcall security gettid
readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr
llistxattr flistxattr removexattr lremovexattr fremovexattr tkill time futex
sched_setaffinity sched_getaffinity set_thread_area io_setup io_destroy io_getevents
io_submit io_cancel get_thread_area lookup_dcookie epoll_create epoll_ctl_old
epoll_wait_old remap_file_pages getdents64 set_tid_address restart_syscall semtimedop
fadvise64 timer_create timer_settime timer_gettime timer_getoverrun timer_delete
clock_settime clock_gettime clock_getres clock_nanosleep exit_group epoll_wait
epoll_ctl tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink
mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key
request_key keyctl ioprio_set ioprio_get inotify_init inotify_add_watch
inotify_rm_watch migrate_pages openat mkdirat mknodat fchownat futimesat newfstatat
unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll unshare
set_robust_list get_robust_list splice tee sync_file_range vmsplice move_pages
utimensat epoll_pwait signalfd timerfd_create eventfd fallocate timerfd_settime
timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1
preadv pwritev rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark
prlimit64 name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg setns
getcpu process_vm_readv process_vm_writev kcmp finit_module sched_setattr sched_getattr
renameat2 seccomp getrandom memfd_create kexec_file_load bpf execveat userfaultfd
membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free
statx io_pgetevents rseq""".split()

CAPABILITIES = ("chown|dac_override|dac_read_search|fowner|fsetid|kill|setgid|setuid|setpcap|"
                "linux_immutable|net_bind_service|net_broadcast|net_admin|net_raw|ipc_lock|"
                "ipc_owner|sys_module|sys_rawio|sys_chroot|sys_ptrace|sys_pacct|sys_admin|"
                "sys_boot|sys_nice|sys_resource|sys_time|sys_tty_config|mknod|lease|"
                "audit_write|audit_control|setfcap|mac_override|mac_admin")
PROTOCOLS = "|".join(p for name in ("tcp", "udp", "raw", "icmp", "icmpv6", "sctp", "stream",
                                     "dgram", "rdm", "seqpacket", "dccp", "packet", "all")
                     for p in (name, name.upper()))

# Absolute path of a file (no trailing slash) and of a directory (trailing slash).
FILE_PATH = r"^\/+.*[^\/]$"
DIR_PATH = r"^\/$|^\/.*\/$"


def string(desc, **kw):
    return dict(type="string", description=desc, **kw)


def boolean(desc):
    return dict(type="boolean", description=desc)


def array(items, desc, **kw):
    return dict(type="array", description=desc, items=items, **kw)


def obj(desc, props, required=None):
    o = dict(type="object", description=desc, properties=props)
    if required:
        o["required"] = sorted(required)
    return o


def action(what="this rule"):
    return string("what happens on a match of %s: Allow (allow-list entry), Audit (alert only) "
                  "or Block (deny and alert); inherited from the enclosing block when unset" %
                  what, enum=["Allow", "Audit", "Block"])


def severity():
    return dict(type="integer", minimum=1, maximum=10,
                description="severity reported in alerts, 1 (lowest) to 10")


def common():
    """message, severity and tags: what an alert of the rule carries."""
    return {
        "message": string("text reported in alerts raised by the rule"),
        "severity": severity(),
        "tags": array(string("a tag"), "tags reported in alerts (e.g. MITRE technique ids)"),
    }


def source_path():
    return string("absolute path of the program the rule applies to", maxLength=200,
                  pattern=FILE_PATH)


def from_source():
    return array(obj("a source program", {"path": source_path()}),
                 "limit the rule to accesses made by these programs")


def rule(desc, props, required=None, with_source=True):
    p = dict(common())
    p["action"] = action()
    if with_source:
        p["fromSource"] = from_source()
    p.update(props)
    return obj(desc, p, required)


def block(desc, props):
    """A rule family (process, file, ...): defaults for its rules, then the rules."""
    p = dict(common())
    p["action"] = action("the rules below")
    p.update(props)
    return obj(desc, p)


def owner_only():
    return boolean("match only when the process runs as the file's owner")


def pts():
    return boolean("match only processes attached to a terminal (pts)")


def process_block():
    return block("rules on program execution", {
        "matchPaths": array(rule("an executable", {
            "path": string("absolute path of the executable", maxLength=200, pattern=FILE_PATH),
            "execname": string("name of the executable without a directory",
                               pattern=r"^[^\/]+$"),
            "ownerOnly": owner_only(),
            "pts": pts(),
            "allowedArgs": array(string("an argument"), "the only arguments the program may "
                                 "be started with", maxItems=20),
        }), "executables, by path or by name"),
        "matchDirectories": array(rule("a directory of executables", {
            "dir": string("absolute directory path ending in /", pattern=DIR_PATH),
            "recursive": boolean("include subdirectories"),
            "ownerOnly": owner_only(),
            "pts": pts(),
        }, ["dir"]), "executables under these directories"),
        "matchPatterns": array(rule("a glob over executable paths", {
            "pattern": string("glob pattern, e.g. /usr/bin/*sh"),
            "ownerOnly": owner_only(),
        }, ["pattern"], with_source=False), "executables matching these patterns"),
    })


def file_block():
    read_only = boolean("allow or audit reads only; writes count as a violation")
    return block("rules on file access", {
        "matchPaths": array(rule("a file", {
            "path": string("absolute file path", maxLength=200, pattern=FILE_PATH),
            "readOnly": read_only,
            "ownerOnly": owner_only(),
            "pts": pts(),
        }, ["path"]), "files by path"),
        "matchDirectories": array(rule("a directory", {
            "dir": string("absolute directory path ending in /", pattern=DIR_PATH),
            "recursive": boolean("include subdirectories"),
            "readOnly": read_only,
            "ownerOnly": owner_only(),
            "pts": pts(),
        }, ["dir"]), "files under these directories"),
        "matchPatterns": array(rule("a glob over file paths", {
            "pattern": string("glob pattern, e.g. /etc/*.conf"),
            "readOnly": read_only,
            "ownerOnly": owner_only(),
        }, ["pattern"], with_source=False), "files matching these patterns"),
    })


def network_block(host):
    proto = {"protocol": string("socket protocol or type", pattern="(%s)$" % PROTOCOLS)}
    if not host:
        proto["pts"] = pts()
    # On a host policy a protocol rule must name the programs it is about.
    req = ["protocol", "fromSource"] if host else ["protocol"]
    return block("rules on network access", {
        "matchProtocols": array(rule("a protocol", proto, req), "protocols"),
        "matchDNSQueries": array(rule("a DNS name", {
            "domain": string("domain name looked up"),
        }, ["domain"]), "DNS lookups"),
    })


def capabilities_block(host):
    req = ["capability", "fromSource"] if host else ["capability"]
    return block("rules on Linux capabilities", {
        "matchCapabilities": array(rule("a capability", {
            "capability": string("capability name without the CAP_ prefix, in lower case",
                                 pattern="(%s)$" % CAPABILITIES),
        }, req), "capabilities"),
    })


def syscalls_block():
    def syscall_list():
        return array(string("system call name", enum=list(SYSCALLS)), "system calls")

    def source():
        return array(obj("a source program or directory", {
            "path": source_path(),
            "dir": string("source directory"),
            "recursive": boolean("include subdirectories of dir"),
        }), "limit the rule to calls made by these programs")

    p = dict(common())
    p["matchSyscalls"] = array(obj("system calls to audit", {
        "syscall": syscall_list(),
        "fromSource": source(),
    }), "system calls, wherever they come from")
    p["matchPaths"] = array(obj("system calls on a path", {
        "path": string("file or directory the calls act on",
                       pattern="(%s)|(%s)" % (FILE_PATH, DIR_PATH)),
        "recursive": boolean("include subdirectories"),
        "syscall": syscall_list(),
        "fromSource": source(),
    }), "system calls acting on these paths")
    return obj("system calls to audit", p)


def device_block():
    i32 = dict(type="integer", format="int32")
    return block("rules on USB devices (host policies)", {
        "matchDevice": array(rule("a device", {
            "class": string("USB class, e.g. MASS-STORAGE"),
            "subClass": dict(i32, description="USB subclass number"),
            "protocol": dict(i32, description="USB protocol number"),
            "level": dict(i32, minimum=1, description="depth in the USB tree"),
        }, ["class"], with_source=False), "devices"),
    })


def label_map(desc):
    return dict(type="object", description=desc, additionalProperties=dict(type="string"))


def selector(cluster):
    keys = ["namespace", "label"] if cluster else ["label"]
    expr = obj("a selector expression", {
        "key": string("what the expression tests", enum=keys),
        "operator": string("In or NotIn", enum=["In", "NotIn"]),
        "values": array(string("a value"), "values; labels are written key=value"),
    })
    props = {"matchExpressions": array(expr, "all expressions must hold")}
    if not cluster:
        props["matchLabels"] = label_map("labels a container's pod must carry")
    return obj("the containers the policy applies to", props)


def spec_schema(kind):
    host = kind == "KubeArmorHostPolicy"
    p = dict(common())
    p["action"] = action("the whole policy")
    p["process"] = process_block()
    p["file"] = file_block()
    p["network"] = network_block(host)
    p["capabilities"] = capabilities_block(host)
    p["syscalls"] = syscalls_block()
    p["apparmor"] = string("a raw AppArmor profile body (AppArmor enforcer only)")
    if host:
        p["nodeSelector"] = obj("the nodes the policy applies to", {
            "matchLabels": label_map("labels a node must carry")})
        p["device"] = device_block()
        return obj("the policy", p, ["nodeSelector"])
    p["selector"] = selector(kind == "KubeArmorClusterPolicy")
    p["presets"] = array(obj("a built-in rule set", {
        "name": string("preset name"),
        "action": action("the preset"),
    }), "built-in rule sets to enable")
    return obj("the policy", p)


KINDS = {
    # kind: (plural, short name, scope, printed selector column)
    "KubeArmorPolicy": ("kubearmorpolicies", "ksp", "Namespaced", ".spec.selector.matchLabels"),
    "KubeArmorHostPolicy": ("kubearmorhostpolicies", "hsp", "Cluster",
                            ".spec.nodeSelector.matchLabels"),
    "KubeArmorClusterPolicy": ("kubearmorclusterpolicies", "csp", "Cluster",
                               ".spec.selector.matchExpressions"),
}


def crd(kind):
    plural, short, scope, sel = KINDS[kind]
    schema = obj(kind + " is a KubeArmor security policy, enforced by Bulwark", {
        "apiVersion": string("API version of this object"),
        "kind": string("object kind"),
        "metadata": dict(type="object"),
        "spec": spec_schema(kind),
        "status": obj("what the controller reports back", {
            "status": string("OK when the policy was accepted, else why not")}),
    })
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "%s.%s" % (plural, GROUP),
                     "labels": {"app.kubernetes.io/part-of": "bulwark"}},
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": kind + "List", "plural": plural,
                      "singular": plural[:-3] + "y", "shortNames": [short]},
            "scope": scope,
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": schema},
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    {"name": "Action", "type": "string", "priority": 10,
                     "jsonPath": ".spec.action"},
                    {"name": "Selector", "type": "string", "priority": 10, "jsonPath": sel},
                ],
            }],
        },
    }


def render(kind):
    head = "# Generated by gen-crds.py; edit that instead.\n"
    return head + yaml.safe_dump(crd(kind), sort_keys=False, width=100)


def main(argv):
    check = "--check" in argv[1:]
    stale = []
    for kind, (plural, _, _, _) in KINDS.items():
        path = os.path.join(HERE, plural + ".yaml")
        text = render(kind)
        if check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
        else:
            with open(path, "w") as f:
                f.write(text)
    for path in stale:
        print("%s: stale, run %s" % (path, os.path.relpath(__file__)), file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
