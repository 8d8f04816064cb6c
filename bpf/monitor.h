/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Records the system monitor (monitor.bpf.c) writes into its ring buffer and
 * the agent (agent/monitor.c, agent/events.c) reads.  Plain __u32/__u64 so the
 * same header compiles for BPF (with vmlinux.h) and for user space (with
 * <linux/types.h>).
 *
 * Every record is a struct bw_mon_hdr followed by up to BW_MON_NSTR byte
 * strings packed back to back: string i starts at str_off[i] bytes after the
 * header and is str_len[i] bytes long (no terminating NUL is counted).  A
 * string the kernel could not obtain completely has BW_MON_STR_TRUNC(i) set in
 * flags: readers must show it as truncated, never as a complete value.
 */
#ifndef BW_MONITOR_H
#define BW_MONITOR_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Record types: one enum shared by kernel and user side. */
enum bw_mon_type {
	BW_MON_FORK = 1,   /* new process (not thread): pid = child, ppid = parent */
	BW_MON_EXEC = 2,   /* str0 file name as executed, str1 argv (NUL separated), str2 cwd,
			    * str3 tty, str4 the binary's resolved path */
	BW_MON_EXIT = 3,   /* ret = exit code (wait status) */
	BW_MON_OPEN = 4,   /* str0 path (resolved or as given), str1 base dir if str0 relative */
	BW_MON_UNLINK = 5, /* str0 path as given, str1 base dir if relative */
	/*
	 * Network records come from cgroup BPF hooks and the sock state
	 * tracepoint (monitor_net.bpf.c), not from syscalls: no fd is known.
	 * str0 is a sockaddr (sockaddr_in/_in6 bytes).
	 */
	BW_MON_SOCKET = 6,   /* an AF_INET/AF_INET6 socket was created: arg0 domain, arg1 type,
			      * arg2 protocol; ret 0 */
	BW_MON_BIND = 7,     /* a successful bind: str0 the bound local address; ret 0 */
	BW_MON_LISTEN = 8,   /* a TCP socket started listening: arg1 backlog; str0 local address */
	BW_MON_ACCEPT = 9,   /* a connection was established on a listener: the identity is the
			      * listener's owner (the process that called listen); str0 the peer */
	BW_MON_CONNECT = 10, /* str0 the destination; ret the outcome (TCP: established = 0,
			      * refused, timed out; other protocols: 0 once the hook let it by) */
	BW_MON_SETUID = 11,  /* arg0 uid */
	BW_MON_SETGID = 12,  /* arg0 gid */
	BW_MON_CAPABLE = 13, /* arg0 capability number; ret 0 or -EPERM */
	BW_MON_EXEC_FAIL =
	    14, /* an execve that failed: ret < 0; str0 path as given, str1 base dir */
	BW_MON_TYPE_MAX,
};

/* Which syscall produced a record (KubeArmor's Data "syscall=SYS_..."). */
enum bw_mon_sys {
	BW_SYS_NONE = 0,
	BW_SYS_EXECVE,
	BW_SYS_OPEN,
	BW_SYS_OPENAT,
	BW_SYS_OPENAT2,
	BW_SYS_UNLINK,
	BW_SYS_UNLINKAT,
	BW_SYS_SOCKET,
	BW_SYS_BIND,
	BW_SYS_LISTEN,
	BW_SYS_ACCEPT,
	BW_SYS_ACCEPT4,
	BW_SYS_CONNECT,
	BW_SYS_SETUID,
	BW_SYS_SETGID,
	BW_SYS_EXECVEAT,
	BW_SYS_MAX,
};

/*
 * Program groups the agent attaches or detaches as visibility changes.  Only
 * the groups marked "syscall tracepoints" slow down every syscall on the
 * node while attached (the kernel's syscall tracing slow path).
 */
enum bw_mon_group {
	BW_MON_G_PROCESS = 1u << 0,  /* fork, exec, exit (raw sched tracepoints): always on */
	BW_MON_G_FILE = 1u << 1,     /* open*, unlink*: syscall tracepoints */
	BW_MON_G_NETWORK = 1u << 2,  /* cgroup v2 socket hooks + sock:inet_sock_set_state */
	BW_MON_G_CAPS = 1u << 3,     /* capability:cap_capable (Linux 6.15+) */
	BW_MON_G_SETID = 1u << 4,    /* setuid, setgid: syscall tracepoints, opt-in */
	BW_MON_G_EXECFAIL = 1u << 5, /* failed execve/execveat: syscall tracepoints, opt-in */
	BW_MON_G_ALL = 0x3f,
};

#define BW_MON_NSTR 8
#define BW_MON_STR_TRUNC(i) (1u << (i))
/* str0 came from the syscall argument, not from the kernel's resolved file. */
#define BW_MON_F_UNRESOLVED (1u << 8)

/* Size limits; powers of two because the verifier needs masks. */
#define BW_MON_PATH_MAX 4096  /* one resolved path */
#define BW_MON_ARGS_MAX 1024  /* argv bytes kept */
#define BW_MON_ADDR_MAX 128   /* sockaddr bytes kept */
#define BW_MON_DATA_MAX 32768 /* all strings of one record */
#define BW_MON_PATH_DEPTH 64  /* path components walked */

struct bw_mon_hdr {
	__u64 ts_boot_ns; /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;  /* cgroup v2 id of the task */
	__u32 type;	  /* enum bw_mon_type */
	__u32 sys;	  /* enum bw_mon_sys */
	__u32 pid;	  /* host view: thread group id */
	__u32 tid;
	__u32 ppid;    /* host view: real parent's thread group id */
	__u32 ns_pid;  /* the task's own pid namespace view */
	__u32 ns_ppid; /* 0 when the parent lies outside that namespace */
	__u32 uid;
	__u32 gid;
	__u32 pid_ns; /* inode numbers of the task's namespaces */
	__u32 mnt_ns;
	__u32 flags; /* BW_MON_STR_TRUNC(i), BW_MON_F_* */
	__s64 ret;   /* syscall return value, exit code, ... */
	__s64 arg[4];
	__u16 str_off[BW_MON_NSTR];
	__u16 str_len[BW_MON_NSTR];
	char comm[16];
};

/*
 * Key of map bw_mon_listen (monitor_net.bpf.c): which process made a TCP
 * listener listen, so connections it accepts are reported as that process's.
 * The value is the struct bw_mon_hdr identity of that process.  The kernel
 * side fills it at listen(); the agent seeds listeners that existed before.
 */
struct bw_listen_key {
	__u32 netns; /* inode number of the listener's network namespace */
	__u16 family;
	__u16 port; /* host order */
};

/* Index of the lost-record counters in map bw_mon_lost (per-CPU array). */
enum bw_mon_lost_idx {
	BW_LOST_RINGBUF = 0, /* the ring buffer was full */
	BW_LOST_PENDING = 1, /* no room to remember a syscall's arguments */
	BW_LOST_MAX,
};

#endif
