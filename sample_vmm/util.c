/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int path_dir(const char *path, char *dir, size_t len, const char *what, char *err, size_t errlen)
{
	char parent[PATH_MAX], resolved[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int rc;

	if (strlen(path) >= sizeof(parent)) {
		snprintf(err, errlen, "%s: path too long", what);
		return -ENAMETOOLONG;
	}
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == path)
		snprintf(parent, sizeof(parent), "/");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
	if (!realpath(parent, resolved)) {
		rc = -errno;
		snprintf(err, errlen, "%s: its directory %s: %s", what, parent, strerror(errno));
		return rc;
	}
	if (strlen(resolved) >= len) {
		snprintf(err, errlen, "%s: its directory's path is too long", what);
		return -ENAMETOOLONG;
	}
	memcpy(dir, resolved, strlen(resolved) + 1);
	return 0;
}
