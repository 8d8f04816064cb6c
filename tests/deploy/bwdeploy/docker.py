# SPDX-License-Identifier: Apache-2.0
"""Static checks of deploy/docker/*.Dockerfile (no Docker engine here).

A build stage on debian:bookworm that installs the Makefile's -dev packages
and builds only targets the CMake tree defines; a runtime stage with no -dev
package or compiler; COPY sources that exist; the user each image runs as;
and, when the binaries are built, that every shared library they load comes
from a package the runtime stage installs.
"""
import os
import re
import shlex
import subprocess

# Present in debian:bookworm-slim without being asked for.
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblzma5",
                 "libbz2-1.0", "libcrypt1", "libselinux1", "libpcre2-8-0", "libgcrypt20",
                 "libgpg-error0", "liblz4-1", "libcap2", "libsystemd0", "libudev1",
                 "libacl1", "libattr1", "libmd0", "libtinfo6", "libgmp10", "libseccomp2"}
COMPILERS = {"build-essential", "gcc", "clang", "llvm", "cmake", "make", "pkg-config"}


def instructions(path):
    """[(line, INSTRUCTION, args)] with continuations joined and comments dropped."""
    out = []
    buf, start = "", None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not buf and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if buf and line.lstrip().startswith("#"):
                continue
            if start is None:
                start = n
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            word, _, rest = buf.strip().partition(" ")
            out.append((start, word.upper(), rest.strip()))
            buf, start = "", None
    return out


def stages(instrs):
    result = []
    for line, word, args in instrs:
        if word == "FROM":
            m = re.match(r"^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", args, re.I)
            result.append({"line": line, "image": m.group(1) if m else args,
                           "name": m.group(2) if m else None, "instrs": []})
        elif result:
            result[-1]["instrs"].append((line, word, args))
    return result


def apt_installs(stage):
    pkgs = set()
    for _, word, args in stage["instrs"]:
        if word != "RUN":
            continue
        for cmd in re.split(r"&&|;", args):
            toks = shlex.split(cmd.strip()) if cmd.strip() else []
            toks = [t for t in toks if "=" not in t or t.startswith("-")]
            if "apt-get" in toks and "install" in toks:
                after = toks[toks.index("install") + 1:]
                pkgs.update(t for t in after if not t.startswith("-"))
    return pkgs


def makefile_packages(path):
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    m = re.search(r"^APT_PACKAGES\s*[:?]?=\s*(.*)$", text, re.M)
    return m.group(1).split() if m else []


def cmake_executables(src):
    names = set()
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        if "CMakeLists.txt" in files:
            with open(os.path.join(root, "CMakeLists.txt")) as f:
                names.update(re.findall(r"add_executable\(\s*([A-Za-z0-9_.-]+)", f.read()))
    return names


def library_packages(binary, report, where):
    """Debian packages that provide the shared libraries binary loads."""
    try:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        report.error(where, "ldd %s failed: %s" % (binary, e))
        return {}
    pkgs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line)
        if not m or not m.group(2).startswith("/"):
            continue
        # A -DBW_SANITIZE=ON build links the sanitizer runtimes; the images
        # build without it, so they are not runtime dependencies.
        if re.match(r"lib(a|ub|l|t)san\.so", m.group(1)):
            continue
        lib = os.path.realpath(m.group(2))
        res = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        if res.returncode != 0:
            # usrmerge: dpkg may know the file under /lib instead of /usr/lib.
            alt = lib.replace("/usr/lib/", "/lib/", 1)
            res = subprocess.run(["dpkg", "-S", alt], capture_output=True, text=True)
        if res.returncode != 0:
            report.error(where, "%s: %s belongs to no Debian package" % (binary, lib))
            continue
        pkg = res.stdout.split(":")[0].strip()
        pkgs[pkg] = m.group(1)
    return pkgs


def depends_closure(pkgs):
    """pkgs plus what they depend on (as installed on this Debian machine)."""
    seen = set()
    todo = list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        res = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p],
                             capture_output=True, text=True)
        if res.returncode != 0:
            continue
        for alt in res.stdout.split(","):
            name = alt.split("|")[0].strip().split(" ")[0].split(":")[0]
            if name:
                todo.append(name)
    return seen


def validate(dockerfile, src, report, bindir=None, nonroot=True):
    where = os.path.relpath(dockerfile, src)
    st = stages(instructions(dockerfile))
    report.count("dockerfiles")
    if len(st) < 2:
        report.error(where, "expected a build stage and a runtime stage")
        return
    build, runtime = st[0], st[-1]
    for s in st:
        if not re.match(r"^debian:bookworm(-slim)?(@sha256:[0-9a-f]{64})?$", s["image"]):
            report.error("%s:%d" % (where, s["line"]), "base image %s is not Debian bookworm" %
                         s["image"])
    names = {s["name"] for s in st if s["name"]}
    wanted = [p for p in makefile_packages(os.path.join(src, "Makefile")) if p.endswith("-dev")]
    wanted += ["build-essential", "cmake", "pkg-config", "clang", "llvm", "bpftool",
               "protobuf-c-compiler"]
    have = apt_installs(build)
    for p in wanted:
        if p not in have:
            report.error(where, "build stage does not install %s (Makefile APT_PACKAGES)" % p)
    rt = apt_installs(runtime)
    for p in sorted(rt):
        if p.endswith("-dev") or p in COMPILERS:
            report.error(where, "runtime stage installs build-only package %s" % p)
    targets = cmake_executables(src)
    built = set()
    for line, word, args in build["instrs"]:
        if word == "RUN" and "--target" in args:
            for t in re.findall(r"--target\s+((?:[A-Za-z0-9_.-]+\s*)+)", args):
                for name in t.split():
                    built.add(name)
                    if name not in targets:
                        report.error("%s:%d" % (where, line), "no CMake target %s" % name)
    user = None
    copied = set()
    entry = None
    for line, word, args in runtime["instrs"]:
        if word == "COPY":
            toks = shlex.split(args)
            frm = [t for t in toks if t.startswith("--from=")]
            files = [t for t in toks if not t.startswith("--")]
            if frm:
                stage = frm[0].split("=", 1)[1]
                if stage not in names:
                    report.error("%s:%d" % (where, line), "COPY --from=%s: no such stage" %
                                 stage)
                copied.update(os.path.basename(f) for f in files[:-1])
            else:
                for f in files[:-1]:
                    if not os.path.exists(os.path.join(src, f)):
                        report.error("%s:%d" % (where, line), "COPY source %s does not exist" %
                                     f)
        elif word == "USER":
            user = args.split(":")[0]
        elif word == "ENTRYPOINT":
            entry = args
    if entry:
        try:
            argv = __import__("json").loads(entry)
        except ValueError:
            argv = None
        if not argv:
            report.error(where, "ENTRYPOINT should be an exec-form JSON array")
        elif os.path.basename(argv[0]) not in copied:
            report.error(where, "ENTRYPOINT %s is not a binary copied from the build" % argv[0])
    else:
        report.error(where, "no ENTRYPOINT")
    if nonroot and (user is None or user in ("0", "root")):
        report.error(where, "runtime stage runs as root; expected a USER")
    if not nonroot and user not in (None, "0", "root"):
        report.error(where, "this component needs root, yet USER is %s" % user)
    provided = depends_closure(rt) | BASE_PACKAGES if bindir else set()
    for b in sorted(copied & built):
        if not bindir:
            continue
        path = os.path.join(bindir, b)
        if not os.path.exists(path):
            report.count("binaries_not_built")
            continue
        report.count("binaries_checked")
        for pkg, soname in sorted(library_packages(path, report, where).items()):
            if pkg not in provided:
                report.error(where, "%s loads %s from package %s, which the runtime stage "
                             "does not install" % (b, soname, pkg))
