/*
 * A main() for fuzz targets built without libFuzzer (gcc builds): runs
 * LLVMFuzzerTestOneInput once on every file named on the command line, and
 * on every regular file inside a named directory (not recursively), so the
 * seed corpus is at least replayed, under the sanitizers when the build has
 * them. Exits 0 when every input ran, 1 when an input could not be read.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aws/util.h"
#include "tests/fuzz/fuzz.h"

static int run_file(const char *path)
{
	char *data = NULL;
	size_t len = 0;

	if (tp_read_file(path, &data, &len) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

static int is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Returns the number of inputs run, or -1. */
static long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while (n >= 0 && (e = readdir(d))) {
		char *path = tp_xasprintf("%s/%s", dir, e->d_name);

		if (is_regular(path))
			n = run_file(path) < 0 ? -1 : n + 1;
		free(path);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	long total = 0, n;
	int i;

	for (i = 1; i < argc; i++) {
		n = is_regular(argv[i]) ? (run_file(argv[i]) < 0 ? -1 : 1) : run_dir(argv[i]);
		if (n < 0) {
			fprintf(stderr, "%s: cannot read inputs from %s\n", argv[0], argv[i]);
			return 1;
		}
		total += n;
	}
	fprintf(stderr, "%s: %ld inputs replayed\n", argv[0], total);
	return 0;
}
