/*
 * The floor for `nono run`: the least a Landlock launcher can do. It creates
 * a ruleset, adds one path-beneath rule per argument, restricts itself and
 * executes the command; no policy, no checks, no messages beyond errno.
 *
 *   floor HANDLED_FS SCOPED RIGHTS:PATH... -- COMMAND [ARGS]...
 *
 * HANDLED_FS, SCOPED and RIGHTS are the kernel's bit masks in hex, as
 * `nono run --dry-run --json` lowers them (benches/whole_command.py passes
 * exactly nono's rule list). Linux x86_64/arm64, Landlock ABI 6+ for SCOPED.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

struct ruleset_attr { /* struct landlock_ruleset_attr, ABI 6 layout */
	uint64_t handled_access_fs, handled_access_net, scoped;
};

struct path_beneath { /* struct landlock_path_beneath_attr */
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define RULE_PATH_BENEATH 1

static int die(const char *what)
{
	perror(what);
	return 125;
}

int main(int argc, char **argv)
{
	struct ruleset_attr attr = {0};
	int i, rfd;

	if (argc < 5)
		return fprintf(stderr, "usage: %s HANDLED SCOPED RIGHTS:PATH... -- CMD...\n", argv[0]), 125;
	attr.handled_access_fs = strtoull(argv[1], NULL, 16);
	attr.scoped = strtoull(argv[2], NULL, 16);
	rfd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rfd < 0)
		return die("landlock_create_ruleset");
	for (i = 3; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *path = strchr(argv[i], ':');
		struct path_beneath rule;
		if (!path)
			return fprintf(stderr, "bad rule %s\n", argv[i]), 125;
		rule.allowed_access = strtoull(argv[i], NULL, 16);
		rule.parent_fd = open(path + 1, O_PATH | O_CLOEXEC);
		if (rule.parent_fd < 0)
			return die(path + 1);
		if (syscall(SYS_landlock_add_rule, rfd, RULE_PATH_BENEATH, &rule, 0))
			return die("landlock_add_rule");
		close(rule.parent_fd);
	}
	if (i + 1 >= argc)
		return fprintf(stderr, "no command\n"), 125;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return die("prctl");
	if (syscall(SYS_landlock_restrict_self, rfd, 0))
		return die("landlock_restrict_self");
	close(rfd);
	execv(argv[i + 1], argv + i + 1);
	return die(argv[i + 1]), 126;
}
