/* N supervised calls in a row: chmod of a file in the working directory
 * (granted Write under nono), alternating two modes so that each call
 * changes something. Used by benches/supervision.py to measure what one
 * call costs when the supervisor answers it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    long n = atol(argv[2]);
    for (long i = 0; i < n; i++) {
        if (chmod(argv[1], (i & 1) ? 0600 : 0644) != 0) {
            perror("chmod");
            return 1;
        }
    }
    return 0;
}
