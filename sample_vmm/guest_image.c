/* SPDX-License-Identifier: Apache-2.0 */
#include "guest_image.h"

#include "guest/abi.h"

#include <stdio.h>
#include <string.h>

uint64_t guest_image_load(struct guest_mem *mem, const void *image, size_t size, const char *name,
			  char *err, size_t errlen)
{
	struct guest_image_header h;
	void *dst;

	if (size == 0) {
		snprintf(err, errlen, "%s: empty guest image", name);
		return 0;
	}
	if (size < sizeof(h)) {
		snprintf(err, errlen, "%s: %zu bytes: too short for a guest image header", name,
			 size);
		return 0;
	}
	memcpy(&h, image, sizeof(h));
	if (h.magic != GUEST_IMAGE_MAGIC) {
		snprintf(err, errlen,
			 "%s: not a sample-vmm guest image (no \"SVMMGST1\" at offset 0)", name);
		return 0;
	}
	if (h.file_size != size) {
		snprintf(err, errlen,
			 "%s: header says %llu bytes, the file has %zu: truncated or corrupt", name,
			 (unsigned long long)h.file_size, size);
		return 0;
	}
	if (h.mem_size < h.file_size || h.entry < GUEST_LOAD_ADDR + sizeof(h) ||
	    h.entry >= GUEST_LOAD_ADDR + h.file_size) {
		snprintf(err, errlen, "%s: corrupt header (entry 0x%llx, memory size %llu)", name,
			 (unsigned long long)h.entry, (unsigned long long)h.mem_size);
		return 0;
	}
	dst = guest_ptr(mem, GUEST_LOAD_ADDR, h.mem_size);
	if (!dst) {
		snprintf(
			err, errlen,
			"%s: the guest needs %llu bytes at 0x%llx: more than the %llu MiB of --mem",
			name, (unsigned long long)h.mem_size, GUEST_LOAD_ADDR,
			(unsigned long long)(mem->size >> 20));
		return 0;
	}
	memcpy(dst, image, size);
	return h.entry;
}
