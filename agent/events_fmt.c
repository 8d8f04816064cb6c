/* SPDX-License-Identifier: Apache-2.0 */
/* KubeArmor-style text for flags, sockets, addresses, capabilities, results. */
#include "events.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Appends s to buf (|-separated when sep); never overflows, always terminated. */
static void cat(char *buf, size_t len, const char *sep, const char *s)
{
	size_t o = strlen(buf);

	if (o && sep)
		o += snprintf(buf + o, o < len ? len - o : 0, "%s", sep);
	if (o < len)
		snprintf(buf + o, len - o, "%s", s);
}

/* Kernel values (x86_64), spelled out: libc hides some (O_LARGEFILE is 0 there). */
void bw_fmt_open_flags(long long flags, char *buf, size_t len)
{
	static const struct {
		long long bit;
		const char *name;
	} tab[] = {
	    {0100, "O_CREAT"},	      {0200, "O_EXCL"},		{0400, "O_NOCTTY"},
	    {01000, "O_TRUNC"},	      {02000, "O_APPEND"},	{04000, "O_NONBLOCK"},
	    {010000, "O_DSYNC"},      {020000, "FASYNC"},	{040000, "O_DIRECT"},
	    {0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},
	    {01000000, "O_NOATIME"},  {02000000, "O_CLOEXEC"},	{04000000, "O_SYNC"},
	    {010000000, "O_PATH"},    {020000000, "O_TMPFILE"},
	};
	static const char *acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
	long long rest;

	if (!len)
		return;
	buf[0] = 0;
	cat(buf, len, NULL, acc[flags & 3]);
	rest = flags & ~3LL;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (rest & tab[i].bit) {
			cat(buf, len, "|", tab[i].name);
			rest &= ~tab[i].bit;
		}
	}
	if (rest) {
		char n[32];

		snprintf(n, sizeof(n), "0%llo", rest);
		cat(buf, len, "|", n);
	}
}

static const char *family_name(long long f, char *tmp, size_t len)
{
	switch (f) {
	case 0:
		return "AF_UNSPEC";
	case 1:
		return "AF_UNIX";
	case 2:
		return "AF_INET";
	case 10:
		return "AF_INET6";
	case 16:
		return "AF_NETLINK";
	case 17:
		return "AF_PACKET";
	case 40:
		return "AF_VSOCK";
	default:
		snprintf(tmp, len, "%lld", f);
		return tmp;
	}
}

void bw_fmt_socket(long long domain, long long type, long long proto, char *buf, size_t len)
{
	static const char *types[] = {
	    NULL,	 "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM",	"SOCK_SEQPACKET",
	    "SOCK_DCCP", NULL,		NULL,	      NULL,	  "SOCK_PACKET"};
	char t[96] = "", tmp[32];
	long long base = type & 0xf;

	if (type & ~(0xfLL | 04000 | 02000000)) {
		/* not a type and its flags: the number as it came */
		snprintf(t, sizeof(t), "%lld", type);
	} else if (base < (long long)(sizeof(types) / sizeof(types[0])) && types[base]) {
		cat(t, sizeof(t), NULL, types[base]);
	} else {
		snprintf(tmp, sizeof(tmp), "%lld", base);
		cat(t, sizeof(t), NULL, tmp);
	}
	if (type & 04000)
		cat(t, sizeof(t), "|", "SOCK_NONBLOCK");
	if (type & 02000000)
		cat(t, sizeof(t), "|", "SOCK_CLOEXEC");
	snprintf(buf, len, "domain=%s type=%s protocol=%lld", family_name(domain, tmp, sizeof(tmp)),
		 t, proto);
}

void bw_fmt_sockaddr(const void *sa, size_t salen, int truncated, char *buf, size_t len)
{
	const unsigned char *b = sa;
	char tmp[32], addr[INET6_ADDRSTRLEN];
	unsigned short fam;

	if (!len)
		return;
	buf[0] = 0;
	if (!sa || salen < 2)
		return;
	memcpy(&fam, b, 2);
	if (fam == 2 && salen >= 8) {
		struct sockaddr_in in;

		memset(&in, 0, sizeof(in));
		memcpy(&in, b, salen < sizeof(in) ? salen : sizeof(in));
		inet_ntop(AF_INET, &in.sin_addr, addr, sizeof(addr));
		snprintf(buf, len, "sa_family=AF_INET sin_port=%u sin_addr=%s", ntohs(in.sin_port),
			 addr);
	} else if (fam == 10 && salen >= 24) {
		struct sockaddr_in6 in6;

		memset(&in6, 0, sizeof(in6));
		memcpy(&in6, b, salen < sizeof(in6) ? salen : sizeof(in6));
		inet_ntop(AF_INET6, &in6.sin6_addr, addr, sizeof(addr));
		snprintf(buf, len, "sa_family=AF_INET6 sin6_port=%u sin6_addr=%s",
			 ntohs(in6.sin6_port), addr);
	} else if (fam == 1) {
		/* sun_path; abstract names start with NUL and are shown with '@' */
		char path[112];
		size_t n = salen - 2, k = 0;

		if (n > sizeof(path) - 1)
			n = sizeof(path) - 1;
		for (size_t i = 0; i < n; i++) {
			char ch = (char)b[2 + i];

			if (ch == 0 && i > 0)
				break;
			path[k++] = ch == 0 ? '@' : (ch >= 32 && ch < 127 ? ch : '?');
		}
		path[k] = 0;
		snprintf(buf, len, "sa_family=AF_UNIX sun_path=%s%s", path,
			 truncated ? "<truncated>" : "");
	} else {
		snprintf(buf, len, "sa_family=%s", family_name(fam, tmp, sizeof(tmp)));
	}
}

const char *bw_result_str(long long ret)
{
	if (ret >= 0)
		return "Passed";
	if (ret < -4095)
		return "Unknown error";
	return strerror((int)-ret);
}
