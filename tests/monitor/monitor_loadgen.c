/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load for bench/monitor.sh: "open N PATH" opens and closes PATH N times,
 * "exec N" forks and executes /bin/true N times.  Prints the elapsed
 * nanoseconds on stdout.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long t0;
	long n;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: monitor_loadgen open N PATH | exec N\n");
		return 2;
	}
	t0 = now_ns();
	if (strcmp(argv[1], "open") == 0 && argc == 4) {
		for (long i = 0; i < n; i++) {
			int fd = open(argv[3], O_RDONLY);

			if (fd < 0) {
				perror(argv[3]);
				return 1;
			}
			close(fd);
		}
	} else if (strcmp(argv[1], "exec") == 0) {
		for (long i = 0; i < n; i++) {
			pid_t p = fork();

			if (p == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (p < 0 || waitpid(p, NULL, 0) < 0) {
				perror("fork");
				return 1;
			}
		}
	} else {
		fprintf(stderr, "usage: monitor_loadgen open N PATH | exec N\n");
		return 2;
	}
	printf("%llu\n", now_ns() - t0);
	return 0;
}
