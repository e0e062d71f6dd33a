/*
 * What a seccomp filter costs, apart from the rest of nono: installing it
 * (in a fresh child each time: the kernel checks and compiles the program,
 * then runs it once for every system call number to learn which calls it
 * always allows) and running it on a call it judges (openat, ioctl) and on
 * one it does not name (getppid). benches/filter_cost.py feeds it the
 * filters it reads out of running nono processes.
 *
 *   filter_cost install ROUNDS [FILTER...]   CPU time per child, each filter
 *   filter_cost calls CALLS [FILTER]         CPU time per call under FILTER
 *
 * A FILTER file holds the raw struct sock_filter array; for "install", the
 * word "ipc-namespace" instead makes the child unshare(CLONE_NEWIPC), what
 * nono does as root. "install" measures
 * the children's CPU time (user + system) in batches of 20, interleaving the
 * filters batch by batch (none first: the fork alone), and prints each
 * one's median batch; "calls" prints the best of 7 repetitions.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FILTERS 16
#define MAX_INSNS 4096
#define BATCH 20

static struct sock_filter progs[MAX_FILTERS][MAX_INSNS];
static unsigned short lens[MAX_FILTERS];

static double cpu_us(int who)
{
	struct rusage r;

	getrusage(who, &r);
	return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

static int ipc_namespace[MAX_FILTERS];

static void load(int i, const char *path)
{
	if (strcmp(path, "ipc-namespace") == 0) {
		ipc_namespace[i] = 1;
		return;
	}
	FILE *f = fopen(path, "rb");

	if (!f)
		perror(path), exit(2);
	lens[i] = fread(progs[i], sizeof(struct sock_filter), MAX_INSNS, f);
	fclose(f);
}

static int install(int i)
{
	struct sock_fprog fp = { lens[i], progs[i] };

	if (ipc_namespace[i])
		return unshare(CLONE_NEWIPC);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return fprintf(stderr, "usage: %s install ROUNDS [FILTER...] | calls CALLS [FILTER]\n", argv[0]), 2;
	int n = atoi(argv[2]), filters = argc - 3;

	if (filters > MAX_FILTERS - 1)
		return fprintf(stderr, "at most %d filters\n", MAX_FILTERS - 1), 2;
	for (int i = 0; i < filters; i++)
		load(i + 1, argv[3 + i]);
	if (argv[1][0] == 'i') {
		double *per = calloc((size_t)n * (filters + 1), sizeof(double));

		for (int b = 0; b < n; b++)
			for (int f = 0; f <= filters; f++) {
				double t0 = cpu_us(RUSAGE_CHILDREN);

				for (int k = 0; k < BATCH; k++) {
					pid_t pid = fork();
					int st;

					if (pid == 0)
						_exit(f && install(f) ? 1 : 0);
					waitpid(pid, &st, 0);
					if (st)
						return fprintf(stderr, "installing %s failed\n", argv[2 + f]), 1;
				}
				per[f * n + b] = (cpu_us(RUSAGE_CHILDREN) - t0) / BATCH;
			}
		for (int f = 0; f <= filters; f++) {
			qsort(per + f * n, n, sizeof(double), by_value);
			printf("%s\t%d\t%.1f\n", f ? argv[2 + f] : "none", f ? lens[f] : 0, per[f * n + n / 2]);
		}
		return 0;
	}
	if (filters && install(1))
		return perror("seccomp"), 1;
	double best[3] = { 1e18, 1e18, 1e18 };
	int value;

	for (int rep = 0; rep < 7; rep++) {
		double t0 = cpu_us(RUSAGE_SELF);

		for (int i = 0; i < n; i++)
			close(openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC));
		double t1 = cpu_us(RUSAGE_SELF);

		for (int i = 0; i < n; i++)
			ioctl(0, FIONREAD, &value);
		double t2 = cpu_us(RUSAGE_SELF);

		for (int i = 0; i < n; i++)
			syscall(SYS_getppid);
		double t3 = cpu_us(RUSAGE_SELF);
		double t[3] = { t1 - t0, t2 - t1, t3 - t2 };

		for (int k = 0; k < 3; k++)
			if (t[k] < best[k])
				best[k] = t[k];
	}
	printf("%s\t%d\t%.0f\t%.0f\t%.0f\n", filters ? argv[3] : "none", filters ? lens[1] : 0,
	       best[0] * 1000 / n, best[1] * 1000 / n, best[2] * 1000 / n);
	return 0;
}
