# syntax=docker/dockerfile:1
# SPDX-License-Identifier: Apache-2.0
# bulwark-controller (and bulwarkctl) on Debian bookworm.  Build from the
# repository root:
#   docker build -f deploy/docker/controller.Dockerfile -t bulwark/controller .

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
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j"$(nproc)" --target bulwark-controller bulwarkctl \
 && strip --strip-debug /build/bin/bulwark-controller /build/bin/bulwarkctl

# --- runtime: shared libraries only, no compiler, no headers ---
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libnng1 libmbedtls14 libprotobuf-c1 libevent-2.1-7 \
      libevent-pthreads-2.1-7 libevent-openssl-2.1-7 libyaml-0-2 libhiredis0.14 \
      libcjson1 libbpf1 libelf1 zlib1g libapparmor1 \
 && rm -rf /var/lib/apt/lists/*
# The controller needs no privilege: it listens on unprivileged ports and
# keeps its store under /var/lib/bulwark.
RUN groupadd --system --gid 10001 bulwark \
 && useradd --system --uid 10001 --gid bulwark --home-dir /var/lib/bulwark \
      --shell /usr/sbin/nologin bulwark \
 && install -d -o bulwark -g bulwark -m 0750 /var/lib/bulwark /run/bulwark
COPY --from=build /build/bin/bulwark-controller /build/bin/bulwarkctl /usr/local/bin/
COPY deploy/docker/config/controller.yaml /etc/bulwark/controller.yaml
USER 10001:10001
VOLUME ["/var/lib/bulwark"]
# 7600: agents (nng).  The admin API is the unix socket /run/bulwark/controller.sock.
EXPOSE 7600
ENTRYPOINT ["/usr/local/bin/bulwark-controller"]
CMD ["--config", "/etc/bulwark/controller.yaml"]
