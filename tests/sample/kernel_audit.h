/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's audit log as the sample VMM's tests read it: audit enabled
 * over netlink (no audit daemon: the kernel prints each record to its log),
 * the log read from /dev/kmsg, and the Landlock denials (type=1423) of one
 * process picked out of it, and its seccomp records (type=1326).
 */
#ifndef TESTS_SAMPLE_KERNEL_AUDIT_H
#define TESTS_SAMPLE_KERNEL_AUDIT_H

#include <stddef.h>
#include <sys/types.h>

/* Where the kernel log stood when kaudit_start() was called. */
struct kaudit {
	int kmsg_fd;	     /* /dev/kmsg, positioned after the last record then */
	int ratelimit_saved; /* kernel.printk_ratelimit before, or -1 */
};

/*
 * Enables audit (AUDIT_SET enabled=1; left enabled: another test may be
 * relying on it), turns the printk rate limit off until kaudit_stop() (the
 * kernel prints audit records through it and would drop some), and marks
 * the log's end.  0, or -1 with why it cannot (not root, no audit, an
 * audit daemon takes the records, no /dev/kmsg) in why: the caller skips.
 */
int kaudit_start(struct kaudit *a, char *why, size_t len);

/* The records logged since kaudit_start(), one message a line (caller
 * frees); NULL if the log could not be read.  Records overwritten before
 * they were read make it say so in *lost. */
char *kaudit_read(struct kaudit *a, int *lost);

/* Restores the rate limit, closes the log. */
void kaudit_stop(struct kaudit *a);

/*
 * The Landlock denials (type=1423 records) in `log` made by process `pid`:
 * those of a domain whose record (type=1424) names the pid, or of an event
 * whose syscall record (type=1300) does.  Returns how many; the first is
 * copied into first (len bytes, may be 0).
 */
int kaudit_landlock_denials(const char *log, pid_t pid, char *first, size_t len);

/* The seccomp records (type=1326: a filter's SECCOMP_RET_LOG, or a kill
 * the kernel logs) of process `pid` in `log`: how many, the first copied
 * as above. */
int kaudit_seccomp_records(const char *log, pid_t pid, char *first, size_t len);

/* kaudit_landlock_denials() or kaudit_seccomp_records(). */
typedef int (*kaudit_count_fn)(const char *log, pid_t pid, char *first, size_t len);

/*
 * Reads the log until `count` finds a record of process `control` (the
 * kernel prints audit records after the fact: 5 seconds at the most).
 * Returns all that was logged since kaudit_start() (caller frees), NULL if
 * the log could not be read.  *seen is control's record count, the first
 * in first (len bytes).  dropped (dlen bytes) says why the log proves
 * nothing if it does not (records overwritten before they were read, or a
 * line saying the kernel dropped some), and is "" if the log is whole.
 */
char *kaudit_read_until(struct kaudit *a, kaudit_count_fn count, pid_t control, char *first,
			size_t len, int *seen, char *dropped, size_t dlen);

/* Lines of `log` saying the kernel dropped audit records (rate limit,
 * backlog): a log that proves nothing.  The first is copied as above. */
int kaudit_records_lost(const char *log, char *first, size_t len);

/* A child that enters a Landlock domain reaching no file and opens `path`
 * (refused: EACCES): a denial the log must show.  Its pid once it ended
 * as expected, or -1. */
pid_t kaudit_denied_open(const char *path);

#endif
