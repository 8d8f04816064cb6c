// SPDX-License-Identifier: Apache-2.0
/*
 * Static helper run inside test containers: tries socket(family, type, 0)
 * and prints "OK" or the errno name, so a test can tell an enforcer's EPERM
 * from any other failure.
 *   sockprobe inet|inet6 stream|dgram|raw [proto]
 *   sockprobe connect inet|inet6 stream|dgram ADDRESS PORT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

static const char *err_name(int e)
{
	return e == EPERM	   ? "EPERM"
	       : e == EACCES	   ? "EACCES"
	       : e == ECONNREFUSED ? "ECONNREFUSED"
				   : strerror(e);
}

static int do_connect(int argc, char **argv)
{
	int v6 = argc > 2 && strcmp(argv[2], "inet6") == 0, fd, rc;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};

	if (argc < 6) {
		fprintf(stderr, "usage: sockprobe connect inet|inet6 stream|dgram ADDRESS PORT\n");
		return 2;
	}
	fd =
	    socket(v6 ? AF_INET6 : AF_INET, strcmp(argv[3], "dgram") ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("socket: %s\n", err_name(errno));
		return 1;
	}
	if (v6) {
		sin6.sin6_port = htons((unsigned short)atoi(argv[5]));
		rc = inet_pton(AF_INET6, argv[4], &sin6.sin6_addr) == 1
			 ? connect(fd, (struct sockaddr *)&sin6, sizeof(sin6))
			 : (errno = EINVAL, -1);
	} else {
		sin.sin_port = htons((unsigned short)atoi(argv[5]));
		rc = inet_pton(AF_INET, argv[4], &sin.sin_addr) == 1
			 ? connect(fd, (struct sockaddr *)&sin, sizeof(sin))
			 : (errno = EINVAL, -1);
	}
	printf("%s\n", rc ? err_name(errno) : "OK");
	close(fd);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	int family, type, proto = argc > 3 ? atoi(argv[3]) : 0, fd;

	if (argc > 1 && strcmp(argv[1], "connect") == 0)
		return do_connect(argc, argv);
	if (argc < 3) {
		fprintf(stderr, "usage: sockprobe inet|inet6 stream|dgram|raw [protocol]\n");
		return 2;
	}
	family = strcmp(argv[1], "inet6") == 0 ? AF_INET6 : AF_INET;
	type = strcmp(argv[2], "dgram") == 0 ? SOCK_DGRAM
	       : strcmp(argv[2], "raw") == 0 ? SOCK_RAW
					     : SOCK_STREAM;
	fd = socket(family, type, proto);
	if (fd < 0) {
		printf("%s\n", err_name(errno));
		return 1;
	}
	close(fd);
	printf("OK\n");
	return 0;
}
