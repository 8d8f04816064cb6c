/* SPDX-License-Identifier: Apache-2.0 */
#include "bw_caps.h"

#include <stdio.h>
#include <strings.h>

/* X(UPPER, lower) in capability-number order. */
#define BW_CAPS(X)                                                                                 \
	X(CHOWN, chown)                                                                            \
	X(DAC_OVERRIDE, dac_override)                                                              \
	X(DAC_READ_SEARCH, dac_read_search)                                                        \
	X(FOWNER, fowner)                                                                          \
	X(FSETID, fsetid)                                                                          \
	X(KILL, kill)                                                                              \
	X(SETGID, setgid)                                                                          \
	X(SETUID, setuid)                                                                          \
	X(SETPCAP, setpcap)                                                                        \
	X(LINUX_IMMUTABLE, linux_immutable)                                                        \
	X(NET_BIND_SERVICE, net_bind_service)                                                      \
	X(NET_BROADCAST, net_broadcast)                                                            \
	X(NET_ADMIN, net_admin)                                                                    \
	X(NET_RAW, net_raw)                                                                        \
	X(IPC_LOCK, ipc_lock)                                                                      \
	X(IPC_OWNER, ipc_owner)                                                                    \
	X(SYS_MODULE, sys_module)                                                                  \
	X(SYS_RAWIO, sys_rawio)                                                                    \
	X(SYS_CHROOT, sys_chroot)                                                                  \
	X(SYS_PTRACE, sys_ptrace)                                                                  \
	X(SYS_PACCT, sys_pacct)                                                                    \
	X(SYS_ADMIN, sys_admin)                                                                    \
	X(SYS_BOOT, sys_boot)                                                                      \
	X(SYS_NICE, sys_nice)                                                                      \
	X(SYS_RESOURCE, sys_resource)                                                              \
	X(SYS_TIME, sys_time)                                                                      \
	X(SYS_TTY_CONFIG, sys_tty_config)                                                          \
	X(MKNOD, mknod)                                                                            \
	X(LEASE, lease)                                                                            \
	X(AUDIT_WRITE, audit_write)                                                                \
	X(AUDIT_CONTROL, audit_control)                                                            \
	X(SETFCAP, setfcap)                                                                        \
	X(MAC_OVERRIDE, mac_override)                                                              \
	X(MAC_ADMIN, mac_admin)                                                                    \
	X(SYSLOG, syslog)                                                                          \
	X(WAKE_ALARM, wake_alarm)                                                                  \
	X(BLOCK_SUSPEND, block_suspend)                                                            \
	X(AUDIT_READ, audit_read)                                                                  \
	X(PERFMON, perfmon)                                                                        \
	X(BPF, bpf)                                                                                \
	X(CHECKPOINT_RESTORE, checkpoint_restore)

#define UPPER(u, l) "CAP_" #u,
#define LOWER(u, l) #l,
static const char *const cap_upper[] = { BW_CAPS(UPPER) };
static const char *const cap_lower[] = { BW_CAPS(LOWER) };
#undef UPPER
#undef LOWER

#define N_CAPS (sizeof(cap_lower) / sizeof(cap_lower[0]))

const char *bw_cap_name(unsigned cap)
{
	return cap < N_CAPS ? cap_upper[cap] : NULL;
}

const char *bw_cap_short_name(unsigned cap)
{
	return cap < N_CAPS ? cap_lower[cap] : NULL;
}

const char *bw_cap_name_or_number(unsigned cap, char *buf, size_t len)
{
	if (cap < N_CAPS)
		return cap_upper[cap];
	snprintf(buf, len, "CAP_%u", cap);
	return buf;
}

int bw_cap_number(const char *name)
{
	if (!strncasecmp(name, "cap_", 4))
		name += 4;
	for (size_t i = 0; i < N_CAPS; i++)
		if (!strcasecmp(name, cap_lower[i]))
			return (int)i;
	return -1;
}

const char *const *bw_cap_names(size_t *n)
{
	*n = N_CAPS;
	return cap_lower;
}
