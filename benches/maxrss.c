/*
 * Runs COMMAND and prints the peak resident set size of its process in KiB:
 * the child's ru_maxrss, which Linux carries across execve, so it is the
 * largest of every image the process ran. The child is forked from this
 * small program, not from the (much larger) benchmark driver, so that its
 * starting image does not count. benches/whole_command.py builds it.
 *
 *   maxrss COMMAND [ARGS]...
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2)
		return fprintf(stderr, "usage: %s COMMAND [ARGS]...\n", argv[0]), 2;
	pid = fork();
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return perror("maxrss"), 2;
	printf("%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
