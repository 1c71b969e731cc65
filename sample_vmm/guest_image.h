/* SPDX-License-Identifier: Apache-2.0 */
/* The default guest (guest/), embedded at build time, and the checks any
 * flat guest image passes before it is loaded. */
#ifndef SAMPLE_VMM_GUEST_IMAGE_H
#define SAMPLE_VMM_GUEST_IMAGE_H

#include "memory.h"

#include <stddef.h>
#include <stdint.h>

extern const unsigned char sample_guest_image[];
extern const size_t sample_guest_image_size;

/* Checks the image (header magic, sizes, entry point) against guest memory
 * and copies it to GUEST_LOAD_ADDR; `name` names it in messages.  Returns
 * the entry point, or 0 with a message in err. */
uint64_t guest_image_load(struct guest_mem *mem, const void *image, size_t size, const char *name,
			  char *err, size_t errlen);

#endif
