/*
 * The file-heavy loop run inside and outside the sandbox: stat, open and
 * close every file of the tree benches/whole_command.py makes,
 * ROOT/dNNN/fNNN for DIRS directories of FILES files each.
 *
 *   file_loop ROOT DIRS FILES
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[4096];
	struct stat st;
	int d, f, fd;

	if (argc != 4)
		return fprintf(stderr, "usage: %s ROOT DIRS FILES\n", argv[0]), 2;
	for (d = 0; d < atoi(argv[2]); d++)
		for (f = 0; f < atoi(argv[3]); f++) {
			snprintf(path, sizeof path, "%s/d%03d/f%03d", argv[1], d, f);
			if (stat(path, &st) != 0)
				return perror(path), 1;
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return perror(path), 1;
			close(fd);
		}
	return 0;
}
