# syntax=docker/dockerfile:1
# SPDX-License-Identifier: Apache-2.0
# bulwark-relay on Debian bookworm.  Build from the repository root:
#   docker build -f deploy/docker/relay.Dockerfile -t bulwark/relay .

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
 && cmake --build /build -j"$(nproc)" --target bulwark-relay \
 && strip --strip-debug /build/bin/bulwark-relay

# --- runtime: shared libraries only ---
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libnng1 libmbedtls14 libprotobuf-c1 libevent-2.1-7 \
      libevent-pthreads-2.1-7 libyaml-0-2 libhiredis0.14 libcjson1 \
      libbpf1 libelf1 zlib1g libapparmor1 \
 && rm -rf /var/lib/apt/lists/*
# The relay needs no privilege: it listens for agents and writes to Redis and
# to its disk spool under /var/lib/bulwark-relay.
RUN groupadd --system --gid 10002 bulwark-relay \
 && useradd --system --uid 10002 --gid bulwark-relay --home-dir /var/lib/bulwark-relay \
      --shell /usr/sbin/nologin bulwark-relay \
 && install -d -o bulwark-relay -g bulwark-relay -m 0750 /var/lib/bulwark-relay
COPY --from=build /build/bin/bulwark-relay /usr/local/bin/
COPY deploy/docker/config/relay.yaml /etc/bulwark/relay.yaml
USER 10002:10002
VOLUME ["/var/lib/bulwark-relay"]
# 4790: agents' event batches (nng).
EXPOSE 4790
ENTRYPOINT ["/usr/local/bin/bulwark-relay"]
CMD ["--config", "/etc/bulwark/relay.yaml"]
