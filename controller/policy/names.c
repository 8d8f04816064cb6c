/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct sysc {
	const char *name;
	unsigned nr;
};

/*
 * x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl) of the syscalls
 * policies name in practice; an unknown name is an error rather than a rule
 * that silently never matches.
 */
static const struct sysc syscalls[] = {
    {"read", 0},
    {"write", 1},
    {"open", 2},
    {"close", 3},
    {"stat", 4},
    {"fstat", 5},
    {"lstat", 6},
    {"poll", 7},
    {"lseek", 8},
    {"mmap", 9},
    {"mprotect", 10},
    {"munmap", 11},
    {"brk", 12},
    {"rt_sigaction", 13},
    {"rt_sigprocmask", 14},
    {"ioctl", 16},
    {"pread64", 17},
    {"pwrite64", 18},
    {"readv", 19},
    {"writev", 20},
    {"access", 21},
    {"pipe", 22},
    {"select", 23},
    {"mremap", 25},
    {"dup", 32},
    {"dup2", 33},
    {"nanosleep", 35},
    {"getpid", 39},
    {"sendfile", 40},
    {"socket", 41},
    {"connect", 42},
    {"accept", 43},
    {"sendto", 44},
    {"recvfrom", 45},
    {"sendmsg", 46},
    {"recvmsg", 47},
    {"shutdown", 48},
    {"bind", 49},
    {"listen", 50},
    {"socketpair", 53},
    {"setsockopt", 54},
    {"getsockopt", 55},
    {"clone", 56},
    {"fork", 57},
    {"vfork", 58},
    {"execve", 59},
    {"exit", 60},
    {"wait4", 61},
    {"kill", 62},
    {"uname", 63},
    {"fcntl", 72},
    {"flock", 73},
    {"fsync", 74},
    {"truncate", 76},
    {"ftruncate", 77},
    {"getdents", 78},
    {"getcwd", 79},
    {"chdir", 80},
    {"fchdir", 81},
    {"rename", 82},
    {"mkdir", 83},
    {"rmdir", 84},
    {"creat", 85},
    {"link", 86},
    {"unlink", 87},
    {"symlink", 88},
    {"readlink", 89},
    {"chmod", 90},
    {"fchmod", 91},
    {"chown", 92},
    {"fchown", 93},
    {"lchown", 94},
    {"umask", 95},
    {"ptrace", 101},
    {"getuid", 102},
    {"syslog", 103},
    {"setuid", 105},
    {"setgid", 106},
    {"setpgid", 109},
    {"setsid", 112},
    {"setreuid", 113},
    {"setregid", 114},
    {"setgroups", 116},
    {"setresuid", 117},
    {"setresgid", 119},
    {"capset", 126},
    {"mknod", 133},
    {"personality", 135},
    {"statfs", 137},
    {"setpriority", 141},
    {"mlock", 149},
    {"pivot_root", 155},
    {"prctl", 157},
    {"arch_prctl", 158},
    {"setrlimit", 160},
    {"chroot", 161},
    {"sync", 162},
    {"acct", 163},
    {"settimeofday", 164},
    {"mount", 165},
    {"umount2", 166},
    {"swapon", 167},
    {"swapoff", 168},
    {"reboot", 169},
    {"sethostname", 170},
    {"setdomainname", 171},
    {"iopl", 172},
    {"ioperm", 173},
    {"init_module", 175},
    {"delete_module", 176},
    {"quotactl", 179},
    {"gettid", 186},
    {"setxattr", 188},
    {"lsetxattr", 189},
    {"fsetxattr", 190},
    {"getxattr", 191},
    {"removexattr", 197},
    {"tkill", 200},
    {"time", 201},
    {"futex", 202},
    {"io_setup", 206},
    {"getdents64", 217},
    {"clock_settime", 227},
    {"exit_group", 231},
    {"tgkill", 234},
    {"utimes", 235},
    {"mbind", 237},
    {"kexec_load", 246},
    {"add_key", 248},
    {"request_key", 249},
    {"keyctl", 250},
    {"ioprio_set", 251},
    {"inotify_init", 253},
    {"inotify_add_watch", 254},
    {"migrate_pages", 256},
    {"openat", 257},
    {"mkdirat", 258},
    {"mknodat", 259},
    {"fchownat", 260},
    {"futimesat", 261},
    {"newfstatat", 262},
    {"unlinkat", 263},
    {"renameat", 264},
    {"linkat", 265},
    {"symlinkat", 266},
    {"readlinkat", 267},
    {"fchmodat", 268},
    {"faccessat", 269},
    {"unshare", 272},
    {"splice", 275},
    {"tee", 276},
    {"move_pages", 279},
    {"utimensat", 280},
    {"accept4", 288},
    {"dup3", 292},
    {"pipe2", 293},
    {"perf_event_open", 298},
    {"fanotify_init", 300},
    {"name_to_handle_at", 303},
    {"open_by_handle_at", 304},
    {"setns", 308},
    {"process_vm_readv", 310},
    {"process_vm_writev", 311},
    {"kcmp", 312},
    {"finit_module", 313},
    {"renameat2", 316},
    {"seccomp", 317},
    {"getrandom", 318},
    {"memfd_create", 319},
    {"kexec_file_load", 320},
    {"bpf", 321},
    {"execveat", 322},
    {"userfaultfd", 323},
    {"copy_file_range", 326},
    {"statx", 332},
    {"io_uring_setup", 425},
    {"open_tree", 428},
    {"move_mount", 429},
    {"fsopen", 430},
    {"fsconfig", 431},
    {"fsmount", 432},
    {"fspick", 433},
    {"pidfd_open", 434},
    {"clone3", 435},
    {"openat2", 437},
    {"pidfd_getfd", 438},
    {"faccessat2", 439},
    {"process_madvise", 440},
    {"mount_setattr", 442},
    {"landlock_create_ruleset", 444},
    {"memfd_secret", 447},
};

static const char *syscall_name_list[ARRAY_SIZE(syscalls)];

int bw_syscall_number(const char *name)
{
	if (!strncasecmp(name, "sys_", 4))
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++)
		if (!strcasecmp(name, syscalls[i].name))
			return (int)syscalls[i].nr;
	return -1;
}

const char *bw_syscall_name(unsigned nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

const char *const *bw_syscall_names(size_t *n)
{
	/* Idempotent fill: racing threads write the same pointers. */
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++)
		syscall_name_list[i] = syscalls[i].name;
	*n = ARRAY_SIZE(syscalls);
	return syscall_name_list;
}

/*
 * Protocols as socket() sees them.  Family 0 means both IPv4 and IPv6
 * (KubeArmor's tcp/udp cover both); icmp is IPv4 and icmpv6 IPv6.  The
 * socket-type names match on type alone.
 */
static const struct bw_proto_def protos[] = {
    {"all", 0, 0, 0},
    {"tcp", 0, SOCK_STREAM, IPPROTO_TCP},
    {"udp", 0, SOCK_DGRAM, IPPROTO_UDP},
    {"icmp", AF_INET, 0, IPPROTO_ICMP},
    {"icmpv6", AF_INET6, 0, IPPROTO_ICMPV6},
    {"sctp", 0, 0, IPPROTO_SCTP},
    {"raw", 0, SOCK_RAW, 0},
    {"stream", 0, SOCK_STREAM, 0},
    {"dgram", 0, SOCK_DGRAM, 0},
    {"seqpacket", 0, SOCK_SEQPACKET, 0},
    {"rdm", 0, SOCK_RDM, 0},
    {"packet", 0, SOCK_PACKET, 0},
    {"sock_stream", 0, SOCK_STREAM, 0},
    {"sock_dgram", 0, SOCK_DGRAM, 0},
    {"sock_raw", 0, SOCK_RAW, 0},
    {"sock_seqpacket", 0, SOCK_SEQPACKET, 0},
    {"sock_rdm", 0, SOCK_RDM, 0},
    {"sock_packet", 0, SOCK_PACKET, 0},
};

static const char *const proto_names[] = {
    "all",	   "tcp",	 "udp",	     "icmp",	       "icmpv6",   "sctp",
    "raw",	   "stream",	 "dgram",    "seqpacket",      "rdm",	   "packet",
    "sock_stream", "sock_dgram", "sock_raw", "sock_seqpacket", "sock_rdm", "sock_packet",
};

_Static_assert(ARRAY_SIZE(protos) == ARRAY_SIZE(proto_names), "protocol tables differ");

const struct bw_proto_def *bw_protocol_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (!strcasecmp(name, protos[i].name))
			return &protos[i];
	return NULL;
}

const char *const *bw_protocol_names(size_t *n)
{
	*n = ARRAY_SIZE(proto_names);
	return proto_names;
}

static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row, best;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	row = calloc(lb + 1, sizeof(*row));
	if (!row)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t v = diag + cost;
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

const char *bw_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, limit = strlen(word) / 3;

	if (limit < 2)
		limit = 2;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return bestd <= limit ? best : NULL;
}
