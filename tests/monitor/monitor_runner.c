/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs the agent's monitoring stack (monitor, process tree, container
 * discovery, events) alone, for benchmarks and manual checks:
 *
 *   monitor_runner [--host-vis LIST] [--container-vis LIST] [--failed-execs] [--print]
 *
 * --failed-execs adds the opt-in failed-exec group (syscall tracepoints), as
 * the agent's monitor.failed-execs does.
 * Every event is packed as the shipper would (protobuf), counted, and
 * printed as one line with --print.  "ready" goes to stdout once attached;
 * SIGUSR1 pauses monitoring and SIGUSR2 resumes it (each answered with a
 * line); SIGTERM/SIGINT stop it and print the counters.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bw_log.h"
#include "bw_loop.h"
#include "bw_time.h"
#include "containers.h"
#include "events.h"
#include "monitor.h"
#include "proctree.h"

static uint64_t packed_bytes, events;
static int print;

static void on_event(void *arg, Bulwark__V1__Event *ev)
{
	uint8_t buf[16384];
	size_t n = bulwark__v1__event__get_packed_size(ev);

	if (n <= sizeof(buf))
		bulwark__v1__event__pack(ev, buf);
	packed_bytes += n;
	events++;
	if (print)
		printf("%s %s cid=%s pid=%d/%d proc=%s res=%s data=%s result=%s\n", ev->type,
		       ev->operation, ev->container_id, ev->pid, ev->host_pid, ev->process_name,
		       ev->resource, ev->data, ev->result);
}

/* SIGUSR1 pauses the monitor, SIGUSR2 resumes it: benchmarks compare with
 * and without monitoring in the same process, chunk by chunk. */
static void on_pause(evutil_socket_t sig, short what, void *arg)
{
	int rc = bw_monitor_pause(arg, sig == SIGUSR1);

	printf("%s rc=%d\n", sig == SIGUSR1 ? "paused" : "resumed", rc);
	fflush(stdout);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	/* exited processes stay 10 s so late events still find their parent */
	bw_proctree_sweep(arg, bw_boot_ns(), 10ull * 1000000000ull);
}

int main(int argc, char **argv)
{
	unsigned hv = BW_VIS_PROCESS | BW_VIS_NETWORK, cv = hv, optin = 0;
	char err[512];
	struct event_base *base = event_base_new();
	struct bw_signals *sig = NULL;
	struct bw_proctree *pt = NULL;
	struct bw_containers *cs = NULL;
	struct bw_events *ev = NULL;
	struct bw_monitor *mon = NULL;
	struct event *sweep;
	struct timeval five = {5, 0};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--print") == 0) {
			print = 1;
		} else if (strcmp(argv[i], "--failed-execs") == 0) {
			optin |= BW_MON_G_EXECFAIL;
		} else if (i + 1 < argc && strcmp(argv[i], "--host-vis") == 0) {
			if (bw_visibility_parse(argv[++i], &hv, err, sizeof(err)))
				goto usage;
		} else if (i + 1 < argc && strcmp(argv[i], "--container-vis") == 0) {
			if (bw_visibility_parse(argv[++i], &cv, err, sizeof(err)))
				goto usage;
		} else {
			snprintf(err, sizeof(err), "unknown argument '%s'", argv[i]);
			goto usage;
		}
	}
	bw_log_set_component("monitor");
	if (!base || bw_signals_new(&sig, base) || bw_proctree_new(&pt))
		return 1;
	struct bw_containers_opts co = {.base = base};
	if (bw_containers_new(&cs, &co, err, sizeof(err))) {
		fprintf(stderr, "containers: %s\n", err);
		return 1;
	}
	bw_proctree_seed(pt, "/proc", bw_containers_cgroup2(cs));
	struct bw_events_opts eo = {.proctree = pt,
				    .containers = cs,
				    .emit = on_event,
				    .container_visibility = cv,
				    .host_visibility = hv};
	if (bw_events_new(&ev, &eo))
		return 1;
	struct bw_monitor_opts mo = {.base = base,
				     .on_record = bw_events_on_record,
				     .arg = ev,
				     .groups = bw_events_groups(ev),
				     .optin_groups = optin};
	if (bw_monitor_new(&mon, &mo, err, sizeof(err))) {
		fprintf(stderr, "monitor: %s\n", err);
		return 1;
	}
	struct event *usr1 = evsignal_new(base, SIGUSR1, on_pause, mon);
	struct event *usr2 = evsignal_new(base, SIGUSR2, on_pause, mon);
	event_add(usr1, NULL);
	event_add(usr2, NULL);
	sweep = event_new(base, -1, EV_PERSIST, on_sweep, pt);
	event_add(sweep, &five);
	printf("ready groups=0x%x\n", bw_monitor_groups(mon));
	fflush(stdout);
	event_base_dispatch(base);

	struct bw_monitor_stats st;
	bw_monitor_stats(mon, &st);
	printf("records=%llu events=%llu packed_bytes=%llu lost_ringbuf=%llu lost_pending=%llu "
	       "malformed=%llu procs=%zu\n",
	       (unsigned long long)st.records, (unsigned long long)events,
	       (unsigned long long)packed_bytes, (unsigned long long)st.lost_ringbuf,
	       (unsigned long long)st.lost_pending, (unsigned long long)st.malformed,
	       bw_proctree_size(pt));
	event_free(sweep);
	event_free(usr1);
	event_free(usr2);
	bw_monitor_free(mon);
	bw_events_free(ev);
	bw_containers_free(cs);
	bw_proctree_free(pt);
	bw_signals_free(sig);
	event_base_free(base);
	return 0;
usage:
	fprintf(stderr,
		"monitor_runner: %s\nusage: monitor_runner [--host-vis LIST] "
		"[--container-vis LIST] [--failed-execs] [--print]\n",
		err);
	return 2;
}
