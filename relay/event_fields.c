/* SPDX-License-Identifier: Apache-2.0 */
#include "event_fields.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bw_event_field_names[] = {
    "Timestamp",  "UpdatedTime", "ClusterName", "HostName",	 "NamespaceName",     "Owner",
    "PodName",	  "Labels",	 "ContainerID", "ContainerName", "ContainerImage",    "HostPPID",
    "HostPID",	  "PPID",	 "PID",		"UID",		 "ParentProcessName", "ProcessName",
    "PolicyName", "Severity",	 "Tags",	"ATags",	 "Message",	      "Type",
    "Source",	  "Operation",	 "Resource",	"Data",		 "Enforcer",	      "Action",
    "Result",	  "Cwd",	 "TTY",		"ExecEvent",	 "EventId",	      NULL,
};

int bw_event_field_is_number(const char *name)
{
	static const char *const nums[] = {"Timestamp", "HostPPID", "HostPID", "PPID",
					   "PID",	"UID",	    NULL};

	for (int i = 0; nums[i]; i++)
		if (strcmp(name, nums[i]) == 0)
			return 1;
	return 0;
}

static void add(struct bw_xadd *x, const char *s, size_t len)
{
	x->argv[x->argc] = s;
	x->argvlen[x->argc] = len;
	x->argc++;
}

static void add_str(struct bw_xadd *x, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	add(x, name, strlen(name));
	add(x, value, strlen(value));
}

/* Decimal without printf: the relay formats seven numbers per event. */
static size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

static size_t fmt_i64(char *buf, long long v)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
	}
	return fmt_u64(buf, (uint64_t)v);
}

static void add_num(struct bw_xadd *x, int *slot, const char *name, long long v)
{
	char *buf = x->nums[(*slot)++];
	size_t n = fmt_i64(buf, v);

	add(x, name, strlen(name));
	add(x, buf, n);
}

int bw_xadd_build(struct bw_xadd *x, const char *key, long long maxlen,
		  const Bulwark__V1__Event *ev, const char *node, uint64_t boot, uint64_t seq)
{
	int slot = 0, n;

	x->argc = 0;
	x->atags = NULL;
	add(x, "XADD", 4);
	add(x, key, strlen(key));
	if (maxlen > 0) {
		n = snprintf(x->maxlen, sizeof(x->maxlen), "%lld", maxlen);
		add(x, "MAXLEN", 6);
		add(x, "~", 1);
		add(x, x->maxlen, (size_t)n);
	}
	add(x, "*", 1);
	add_num(x, &slot, "Timestamp", (long long)ev->timestamp);
	add_str(x, "UpdatedTime", ev->updated_time);
	add_str(x, "ClusterName", ev->cluster_name);
	add_str(x, "HostName", ev->host_name);
	add_str(x, "NamespaceName", ev->namespace_name);
	add_str(x, "Owner", ev->owner);
	add_str(x, "PodName", ev->pod_name);
	add_str(x, "Labels", ev->labels);
	add_str(x, "ContainerID", ev->container_id);
	add_str(x, "ContainerName", ev->container_name);
	add_str(x, "ContainerImage", ev->container_image);
	add_num(x, &slot, "HostPPID", ev->host_ppid);
	add_num(x, &slot, "HostPID", ev->host_pid);
	add_num(x, &slot, "PPID", ev->ppid);
	add_num(x, &slot, "PID", ev->pid);
	add_num(x, &slot, "UID", ev->uid);
	add_str(x, "ParentProcessName", ev->parent_process_name);
	add_str(x, "ProcessName", ev->process_name);
	add_str(x, "PolicyName", ev->policy_name);
	add_str(x, "Severity", ev->severity);
	add_str(x, "Tags", ev->tags);
	if (ev->n_atags) {
		size_t len = 1;

		for (size_t i = 0; i < ev->n_atags; i++)
			len += strlen(ev->atags[i]) + 1;
		x->atags = malloc(len);
		if (!x->atags)
			return -ENOMEM;
		x->atags[0] = '\0';
		len = 0;
		/* KubeArmor prints ATags as a list; in a flat field they are comma-joined. */
		for (size_t i = 0; i < ev->n_atags; i++) {
			size_t l = strlen(ev->atags[i]);

			if (i)
				x->atags[len++] = ',';
			memcpy(x->atags + len, ev->atags[i], l);
			len += l;
		}
		x->atags[len] = '\0';
		add_str(x, "ATags", x->atags);
	}
	add_str(x, "Message", ev->message);
	add_str(x, "Type", ev->type);
	add_str(x, "Source", ev->source);
	add_str(x, "Operation", ev->operation);
	add_str(x, "Resource", ev->resource);
	add_str(x, "Data", ev->data);
	add_str(x, "Enforcer", ev->enforcer);
	add_str(x, "Action", ev->action);
	add_str(x, "Result", ev->result);
	add_str(x, "Cwd", ev->cwd);
	add_str(x, "TTY", ev->tty);
	add_str(x, "ExecEvent", ev->exec_event);
	{
		/* node:boot:seq; the relay caps node at 253 bytes, so it fits */
		size_t nl = strnlen(node, sizeof(x->id) - 2 * 21 - 3), off = nl;

		memcpy(x->id, node, nl);
		x->id[off++] = ':';
		off += fmt_u64(x->id + off, boot);
		x->id[off++] = ':';
		off += fmt_u64(x->id + off, seq);
		add(x, "EventId", 7);
		add(x, x->id, off);
	}
	return 0;
}

static size_t put_uint(char *p, size_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

size_t bw_xadd_resp(const struct bw_xadd *x, char *buf, size_t cap)
{
	size_t need = 1 + 20 + 2, off;

	for (int i = 0; i < x->argc; i++)
		need += 1 + 20 + 2 + x->argvlen[i] + 2;
	if (need > cap)
		return need;
	off = 0;
	buf[off++] = '*';
	off += put_uint(buf + off, (size_t)x->argc);
	buf[off++] = '\r';
	buf[off++] = '\n';
	for (int i = 0; i < x->argc; i++) {
		buf[off++] = '$';
		off += put_uint(buf + off, x->argvlen[i]);
		buf[off++] = '\r';
		buf[off++] = '\n';
		memcpy(buf + off, x->argv[i], x->argvlen[i]);
		off += x->argvlen[i];
		buf[off++] = '\r';
		buf[off++] = '\n';
	}
	return off;
}

void bw_xadd_release(struct bw_xadd *x)
{
	free(x->atags);
	x->atags = NULL;
}

int bw_event_stream_key(const Bulwark__V1__Event *ev, const char *alerts_key, const char *logs_key,
			int per_namespace, char *buf, size_t len)
{
	const char *base = ev->kind == BULWARK__V1__EVENT_KIND__EVENT_ALERT ? alerts_key : logs_key;
	int n;

	if (per_namespace && ev->namespace_name && *ev->namespace_name)
		n = snprintf(buf, len, "%s:%s", base, ev->namespace_name);
	else
		n = snprintf(buf, len, "%s", base);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
