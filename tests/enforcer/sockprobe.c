// SPDX-License-Identifier: Apache-2.0
/*
 * Static helper run inside test containers: tries socket(family, type, 0)
 * and prints "OK" or the errno name, so a test can tell an enforcer's EPERM
 * from any other failure.  Usage: sockprobe inet|inet6 stream|dgram|raw [proto]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	int family, type, proto = argc > 3 ? atoi(argv[3]) : 0, fd;

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
		printf("%s\n", errno == EPERM ? "EPERM" : errno == EACCES ? "EACCES" : strerror(errno));
		return 1;
	}
	close(fd);
	printf("OK\n");
	return 0;
}
