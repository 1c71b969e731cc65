/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-balloon (device ID 5): the guest gives pages back.  Queue 0,
 * inflateq, names guest pages (32-bit PFNs of 4 KiB) the guest no longer
 * uses: the device discards them in the host mapping of guest memory with
 * madvise(MADV_DONTNEED), which on private anonymous memory frees them and
 * makes them read as zeros when the guest touches them again.  Queue 1,
 * deflateq, names pages the guest takes back: nothing to do, they fault
 * back in.  No feature bits (no MUST_TELL_HOST, stats or free page
 * reporting).  Configuration: num_pages, the target the device asks for
 * (--balloon-pages, fixed), and actual, what the driver says it holds.
 *
 * A PFN outside guest memory is skipped and counted, as QEMU does: the
 * queue itself is well formed, and the spec gives the device no way to
 * fail one page; a driver sending one wrecks nothing but its own count.
 */
#include "device.h"

#include <errno.h>
#include <linux/virtio_balloon.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BALLOON_INFLATE 0
#define BALLOON_DEFLATE 1
#define BALLOON_PAGE 4096ULL	      /* VIRTIO_BALLOON_PFN_SHIFT */
#define BALLOON_DEFAULT_PAGES 256     /* 1 MiB */
#define BALLOON_MAX_PAGES (1UL << 20) /* 4 GiB: more than any guest here */
#define BALLOON_CONFIG_LEN 8	      /* num_pages, actual */

struct virtio_balloon {
	struct virtio_mmio dev;
	uint32_t target;
	uint64_t inflated, deflated, refused;
	uint32_t pfns[256]; /* a block of a chain's PFNs (the device thread's) */
};

static int parse_pages(const char *v, unsigned long *out, char *err, size_t errlen)
{
	char *end;

	*out = BALLOON_DEFAULT_PAGES;
	if (!v)
		return 0;
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || *out > BALLOON_MAX_PAGES) {
		snprintf(err, errlen,
			 "--balloon-pages '%s': expected a number of 4 KiB pages from 0 to %lu", v,
			 BALLOON_MAX_PAGES);
		return -EINVAL;
	}
	return 0;
}

static int balloon_check(const struct device *d, char *err, size_t errlen)
{
	unsigned long n;

	return parse_pages(d->args[1], &n, err, errlen);
}

/* Discards the run of n pages at p; false if the kernel refused. */
static bool discard(uint8_t *p, uint32_t n)
{
	return !n || madvise(p, (size_t)n * BALLOON_PAGE, MADV_DONTNEED) == 0;
}

/* The PFNs of one chain: discarded (inflate) or only counted (deflate).
 * Consecutive pages are discarded together, and a page named again right
 * after itself is not discarded twice: one madvise() per run, not per PFN
 * (a guest's chain of zeroes names page 0 thousands of times). */
static uint32_t pages_request(struct virtio_mmio *dev, const struct virtio_chain *c, bool inflate)
{
	struct virtio_balloon *b = dev->priv;
	uint32_t size = virtio_chain_size(c, false), bad = 0, first_bad = 0, run = 0;
	uint8_t *start = NULL;

	/* trailing bytes short of a PFN are no page; read in blocks, not a
	 * chain walk per PFN */
	for (uint32_t off = 0, k = 0, n = 0; off + 4 <= size; off += 4, k++) {
		uint32_t pfn;
		uint8_t *p;

		if (k == n) {
			uint32_t want = size - off < sizeof(b->pfns) ? size - off : sizeof(b->pfns);

			n = virtio_chain_read(c, off, b->pfns, want & ~3U) / 4;
			k = 0;
		}
		pfn = b->pfns[k];
		p = guest_ptr(dev->mem, (uint64_t)pfn * BALLOON_PAGE, BALLOON_PAGE);
		if (!p) {
			if (!bad++)
				first_bad = pfn;
			continue;
		}
		if (!inflate) {
			b->deflated++;
			continue;
		}
		b->inflated++;
		if (run && (p == start + (size_t)(run - 1) * BALLOON_PAGE))
			continue; /* the page just named */
		if (run && p == start + (size_t)run * BALLOON_PAGE) {
			run++;
			continue;
		}
		if (!discard(start, run)) {
			b->inflated -= run;
			bad += run;
		}
		start = p;
		run = 1;
	}
	if (inflate && !discard(start, run)) {
		b->inflated -= run;
		bad += run;
	}
	if (bad) {
		b->refused += bad;
		fprintf(stderr,
			"sample-vmm: virtio-balloon: %s: %u PFNs outside guest memory skipped "
			"(the first 0x%x)\n",
			inflate ? "inflate" : "deflate", bad, first_bad);
	}
	return 0; /* the device writes nothing back */
}

static uint32_t inflate_request(struct virtio_mmio *dev, const struct virtio_chain *c)
{
	return pages_request(dev, c, true);
}

static uint32_t deflate_request(struct virtio_mmio *dev, const struct virtio_chain *c)
{
	return pages_request(dev, c, false);
}

static void balloon_run(struct virtio_mmio *dev, const struct pollfd *fds, unsigned nfds)
{
	(void)fds;
	(void)nfds;
	virtio_queue_serve(dev, BALLOON_INFLATE, inflate_request);
	virtio_queue_serve(dev, BALLOON_DEFLATE, deflate_request);
}

/* vCPU thread: only actual is the driver's; num_pages stays the target. */
static void balloon_config_write(struct virtio_mmio *dev, uint32_t offset, uint32_t len)
{
	struct virtio_balloon *b = dev->priv;

	if (offset < 4)
		memcpy(dev->config, &b->target, sizeof(b->target));
	(void)len;
}

static const struct virtio_ops balloon_ops = {
	.nqueues = 2,
	.run = balloon_run,
	.config_write = balloon_config_write,
};

static int balloon_create(struct device *d, struct vm *vm, char *err, size_t errlen)
{
	struct virtio_balloon *b;
	unsigned long pages;
	int rc;

	rc = parse_pages(d->args[1], &pages, err, errlen);
	if (rc < 0)
		return rc;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "--balloon: out of memory");
		return -ENOMEM;
	}
	b->target = (uint32_t)pages;
	d->mmio = &b->dev;
	rc = device_mmio_init(d, vm, 0, &balloon_ops, b, err, errlen);
	if (rc < 0) {
		free(b);
		d->mmio = NULL;
		return rc;
	}
	/* struct virtio_balloon_config: num_pages, actual (0), little-endian */
	memcpy(b->dev.config, &b->target, sizeof(b->target));
	b->dev.config_len = BALLOON_CONFIG_LEN;
	d->state = b;
	return 0;
}

static void balloon_destroy(struct device *d)
{
	struct virtio_balloon *b = d->state;

	virtio_mmio_free(&b->dev);
	free(b);
	d->state = NULL;
	d->mmio = NULL;
}

/* API thread: the counters and actual move under the device's lock. */
static int balloon_info(const struct device *d, char *buf, size_t len)
{
	struct virtio_balloon *b = d->state;
	unsigned long long in, de, bad;
	uint32_t actual;
	int n;

	pthread_mutex_lock(&b->dev.lock);
	memcpy(&actual, b->dev.config + 4, sizeof(actual));
	in = b->inflated;
	de = b->deflated;
	bad = b->refused;
	pthread_mutex_unlock(&b->dev.lock);
	n = snprintf(buf, len,
		     ",\"num_pages\":%u,\"actual\":%u,\"inflated_pages\":%llu,"
		     "\"deflated_pages\":%llu,\"refused_pfns\":%llu",
		     b->target, actual, in, de, bad);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

const struct device_type virtio_balloon_type = {
	.name = "virtio-balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.role = VMM_SECCOMP_ROLE_VIRTIO_BALLOON,
	.options = {
		{ "balloon", false,
		  "\tvirtio-balloon: the pages the guest inflates are given back to\n"
		  "the host (MADV_DONTNEED)" },
		{ "balloon-pages", true,
		  "N\tits target in 4 KiB pages (default 256: 1 MiB)" },
	},
	.check = balloon_check,
	.create = balloon_create,
	.destroy = balloon_destroy,
	.info = balloon_info,
};
