# syntax=docker/dockerfile:1
# SPDX-License-Identifier: Apache-2.0
# bulwark-agent on Debian bookworm.  Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t bulwark/agent .
#
# The agent loads BPF programs, reads other processes' /proc entries and
# loads AppArmor profiles, so it runs as root with privileges granted by its
# deployment (compose: privileged + pid: host; Kubernetes: a privileged
# DaemonSet with hostPID).

# --- build: the same Debian -dev packages as the Makefile's APT_PACKAGES ---
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config clang llvm bpftool libbpf-dev \
      libnng-dev libprotobuf-c-dev protobuf-c-compiler libevent-dev libyaml-dev \
      libhiredis-dev libapparmor-dev libcjson-dev libcmocka-dev libclang-rt-14-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The BPF objects are CO-RE (compiled against bpf/include/vmlinux.h), so the
# image runs on any kernel with BTF, not only the build host's.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j"$(nproc)" --target bulwark-agent bulwarkctl \
 && strip --strip-debug /build/bin/bulwark-agent /build/bin/bulwarkctl

# --- runtime: shared libraries and apparmor_parser (AppArmor enforcer) ---
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libbpf1 libelf1 zlib1g libnng1 libmbedtls14 libprotobuf-c1 \
      libevent-2.1-7 libevent-pthreads-2.1-7 libevent-openssl-2.1-7 libyaml-0-2 libhiredis0.14 \
      libapparmor1 libcjson1 apparmor \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/bulwark-agent /build/bin/bulwarkctl /usr/local/bin/
COPY deploy/docker/config/agent.yaml /etc/bulwark/agent.yaml
# Readiness: exits 0 once the running agent reports its monitor and enforcer up.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/bulwark-agent", "--health"]
ENTRYPOINT ["/usr/local/bin/bulwark-agent"]
CMD ["--config", "/etc/bulwark/agent.yaml"]
