# SPDX-License-Identifier: Apache-2.0
# Sourced by deploy/lab/run.sh and tests/lab/*.sh: starting and stopping the
# lab's processes.  The caller sets BIN, LAB, LABSRC, NODE, PIN_DIR and CTR
# before using these.
#
# run.sh sets pipefail: pipelines end in `grep ... >/dev/null`, never
# `grep -q`, which may exit before the writer is done (SIGPIPE would then
# fail the pipeline although grep matched).

PIDS=()
CONTAINER_STARTED=0

# wait_for SECONDS CMD...: retries CMD every 0.2 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
	return 0
}

# A free loopback TCP port (nothing else here binds it between now and the
# daemon's start).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

start() { # start NAME LOGFILE CMD...: PID_<NAME> is the new process
	local name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 &
	PIDS+=($!)
	eval "PID_${name}=$!"
}

alive() { kill -0 "$1" 2>/dev/null; }

# stop_pid PID SIGNAL: sends the signal, waits up to 10 s (the agent
# detaches its programs and flushes its buffer first), then SIGKILL.
stop_pid() {
	kill "-$2" "$1" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# bulwarkctl takes its global flags after the command.
ctl() {
	local cmd=$1
	shift
	"$BIN/bulwarkctl" "$cmd" --socket "$LAB/controller.sock" "$@"
}
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

# Picks the ports and starts Redis; 0 once it answers.
lab_start_redis() {
	REDIS_PORT=$(free_port) && CTL_PORT=$(free_port) && RELAY_PORT=$(free_port) &&
		METRICS_PORT=$(free_port) || return 1
	start redis "$LAB/logs/redis.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		--dir "$LAB/redis" --save '' --appendonly no --daemonize no
	wait_for "$TIMEOUT" rcli ping
}

# Each daemon reads its file from deploy/lab/ and gets the lab's ports and
# paths as flags (flags beat the file).
lab_start_controller() {
	start controller "$LAB/logs/controller.log" "$BIN/bulwark-controller" \
		--config "$LABSRC/controller.yaml" \
		--data-dir "$LAB/controller" \
		--admin.socket "$LAB/controller.sock" \
		--agents.listen "tcp://127.0.0.1:$CTL_PORT"
	wait_for "$TIMEOUT" ctl status && alive "$PID_controller"
}

relay_on_redis() { alive "$PID_relay" && grep -q 'redis ready' "$LAB/logs/relay.log"; }
lab_start_relay() {
	start relay "$LAB/logs/relay.log" "$BIN/bulwark-relay" \
		--config "$LABSRC/relay.yaml" \
		--listen "tcp://127.0.0.1:$RELAY_PORT" \
		--redis "127.0.0.1:$REDIS_PORT" \
		--spool.dir "$LAB/relay" \
		--metrics "tcp:127.0.0.1:$METRICS_PORT"
	wait_for "$TIMEOUT" relay_on_redis
}

# lab_start_agent [LOGFILE]: 0 once the controller lists the node.
node_registered() { alive "$PID_agent" && ctl get nodes | grep "^$NODE .* Ready " >/dev/null; }
lab_start_agent() {
	AGENT_LOG=${1:-$LAB/logs/agent.log}
	start agent "$AGENT_LOG" "$BIN/bulwark-agent" \
		--config "$LABSRC/agent.yaml" \
		--node-name "$NODE" \
		--controller.url "tcp://127.0.0.1:$CTL_PORT" \
		--relay.urls "tcp://127.0.0.1:$RELAY_PORT" \
		--enforcer.pin-dir "$PIN_DIR" \
		--containers.runc-root "$LAB/runc" \
		--health.status-file "$LAB/agent.status"
	wait_for "$TIMEOUT" node_registered
}

# The relay's side: it received the agent's first batch.
agent_on_relay() {
	alive "$PID_agent" && grep -q "msg=\"agent connected\" node=$NODE " "$LAB/logs/relay.log"
}

# Starts the labelled busybox container $CTR from a bundle under $LAB.
# With the AppArmor enforcer the container starts under its profile (the
# agent cannot move a running container into one): apparmor.sh.
lab_start_container() {
	. "$LABSRC/bundle.sh"
	LAB_AA_PROFILE=
	if [ "${ENFORCER:-}" = AppArmor ]; then
		. "$LABSRC/apparmor.sh"
		LAB_AA_PROFILE=$(lab_aa_profile_name "$CTR")
		lab_aa_preload "$LAB_AA_PROFILE" "$LAB/apparmor" \
			>>"$LAB/logs/container.log" 2>&1 || return 1
	fi
	make_bundle "$LAB/bundle" "$BUSYBOX" || return 1
	runc --root "$LAB/runc" run -d --bundle "$LAB/bundle" "$CTR" \
		</dev/null >>"$LAB/logs/container.log" 2>&1 || return 1
	CONTAINER_STARTED=1
}
cexec() { runc --root "$LAB/runc" exec "$CTR" "$@"; }

# Removes the container, stops every process (the agent first, each before
# the next, Redis last) and the lab's pinned enforcement.
lab_stop_all() {
	if [ "$CONTAINER_STARTED" = 1 ]; then
		runc --root "$LAB/runc" kill "$CTR" KILL >/dev/null 2>&1
		runc --root "$LAB/runc" delete -f "$CTR" >/dev/null 2>&1
		CONTAINER_STARTED=0
	fi
	# Only our children still running: a pid already reaped (a daemon a
	# test killed and restarted) may belong to someone else by now.
	local running=" $(jobs -pr | tr '\n' ' ') "
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		case $running in
		*" ${PIDS[$i]} "*) stop_pid "${PIDS[$i]}" TERM ;;
		esac
	done
	PIDS=()
	# The agent leaves enforcement pinned on purpose (a restarted agent
	# adopts it); the lab is over, so take it away.
	rm -rf "$PIN_DIR" 2>/dev/null
	return 0
}
