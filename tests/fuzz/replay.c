/* SPDX-License-Identifier: ISC */
/*
 * Corpus replay for the libFuzzer targets: a main() that feeds every file
 * named on the command line (directories are read one level deep) to
 * LLVMFuzzerTestOneInput, so make check exercises each corpus under
 * ASan/UBSan with gcc, without libFuzzer.  A crash or sanitizer report
 * fails the run; otherwise it prints "N passed, 0 failed".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	uint8_t	*p;
	size_t	 len;

	if (st_file_read(path, 1 << 24, &p, &len, NULL) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return -1;
	}
	(void)LLVMFuzzerTestOneInput(p, len);
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 path[4096];
	int		 i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: not found\n", argv[i]);
			bad++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += replay_file(argv[i]) != 0;
			n++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			bad++;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			bad += replay_file(path) != 0;
			n++;
		}
		closedir(d);
	}
	if (n == 0) {
		fprintf(stderr, "replay: empty corpus\n");
		bad++;
	}
	printf("replay: %d passed, %d failed\n", n - bad, bad);
	return bad == 0 ? 0 : 1;
}
