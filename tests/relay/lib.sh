# SPDX-License-Identifier: Apache-2.0
# Sourced by the relay's script tests and bench/relay.sh: a temp dir and the
# processes to kill on exit, free loopback ports, a throwaway redis-server.
#   relay_lib_init NAME   -> $tmp (removed on exit), pids=() (killed on exit)
#   free_port             -> a free TCP port on 127.0.0.1
#   redis_start PORT [redis-server options...]
#                         -> a redis-server on PORT in $tmp, answering; its pid
#                            in $redis_pid and pids; exits 1 if it never answers

relay_lib_cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}

relay_lib_init() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX")
	pids=()
	trap relay_lib_cleanup EXIT
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

redis_start() {
	local port=$1
	shift
	redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --save '' \
		--logfile "$tmp/redis.log" "$@" &
	redis_pid=$!
	pids+=("$redis_pid")
	for _ in $(seq 100); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "FAIL: redis-server did not start" >&2
	exit 1
}
