// SPDX-License-Identifier: Apache-2.0
/*
 * AppArmor audit record parsing: `apparmor="DENIED" operation="open"
 * profile="bulwark-abc" name="/secret.txt" pid=42 comm="cat" ...`, as found
 * in /dev/kmsg lines and audit netlink AVC messages.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "enforce_apparmor.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Copies a value: "quoted", or bare; the kernel writes names holding spaces
 * or quotes as bare hex, which is decoded when decode_hex is set.
 */
static const char *value(const char *s, char *out, size_t len, int decode_hex)
{
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++)
			if (n + 1 < len)
				out[n++] = *s;
		if (*s == '"')
			s++;
	} else {
		const char *start = s;
		size_t bare;

		while (*s && !isspace((unsigned char)*s))
			s++;
		bare = (size_t)(s - start);
		if (decode_hex && bare && bare % 2 == 0) {
			int ok = 1;

			for (size_t i = 0; i < bare && ok; i++)
				ok = hexval(start[i]) >= 0;
			if (ok) {
				for (size_t i = 0; i + 1 < bare && n + 1 < len; i += 2)
					out[n++] = (char)(hexval(start[i]) * 16 + hexval(start[i + 1]));
				out[n] = '\0';
				return s;
			}
		}
		for (size_t i = 0; i < bare && n + 1 < len; i++)
			out[n++] = start[i];
	}
	if (len)
		out[n] = '\0';
	return s;
}

int bw_aa_parse_record(const char *line, struct bw_aa_record *out)
{
	const char *s = strstr(line, "apparmor=");
	char key[32], tmp[64];

	if (!s)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->protocol = -1;
	while (*s) {
		size_t k = 0;

		while (*s && isspace((unsigned char)*s))
			s++;
		while (*s && *s != '=' && !isspace((unsigned char)*s) && k + 1 < sizeof(key))
			key[k++] = *s++;
		key[k] = '\0';
		if (*s != '=') {
			while (*s && !isspace((unsigned char)*s))
				s++;
			continue;
		}
		s++;
		if (!strcmp(key, "apparmor"))
			s = value(s, out->apparmor, sizeof(out->apparmor), 0);
		else if (!strcmp(key, "operation"))
			s = value(s, out->operation, sizeof(out->operation), 0);
		else if (!strcmp(key, "profile"))
			s = value(s, out->profile, sizeof(out->profile), 1);
		else if (!strcmp(key, "name"))
			s = value(s, out->name, sizeof(out->name), 1);
		else if (!strcmp(key, "comm"))
			s = value(s, out->comm, sizeof(out->comm), 1);
		else if (!strcmp(key, "requested_mask"))
			s = value(s, out->requested, sizeof(out->requested), 0);
		else if (!strcmp(key, "denied_mask"))
			s = value(s, out->denied, sizeof(out->denied), 0);
		else if (!strcmp(key, "capname"))
			s = value(s, out->capname, sizeof(out->capname), 0);
		else if (!strcmp(key, "family"))
			s = value(s, out->family, sizeof(out->family), 0);
		else if (!strcmp(key, "sock_type"))
			s = value(s, out->sock_type, sizeof(out->sock_type), 0);
		else {
			s = value(s, tmp, sizeof(tmp), 0);
			if (!strcmp(key, "pid"))
				out->pid = (uint32_t)strtoul(tmp, NULL, 10);
			else if (!strcmp(key, "fsuid"))
				out->fsuid = (uint32_t)strtoul(tmp, NULL, 10);
			else if (!strcmp(key, "ouid"))
				out->ouid = (uint32_t)strtoul(tmp, NULL, 10);
			else if (!strcmp(key, "protocol"))
				out->protocol = atoi(tmp);
		}
	}
	return out->apparmor[0] && out->profile[0] ? 0 : -EINVAL;
}
