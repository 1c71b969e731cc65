/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers the API server and the devices share.
 */
#ifndef SAMPLE_VMM_UTIL_H
#define SAMPLE_VMM_UTIL_H

#include <stddef.h>

/* The value of hexadecimal digit c (either case), or -1. */
int hex_digit(char c);

/*
 * The directory `path` lies in, absolute and resolved, into dir (`len`
 * bytes; PATH_MAX is enough): where a socket's Landlock rule goes, since
 * the socket itself may not exist yet.  0, or -errno with a message in err
 * that starts with `what` (the option and value it came from).
 */
int path_dir(const char *path, char *dir, size_t len, const char *what, char *err, size_t errlen);

#endif
