/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the sample VMM and its default guest agree on: the guest image
 * header, the boot information page, the ports and the device addresses.
 * Included by the VMM, by the freestanding guest and by the tests, so it
 * holds only constants and plain structures.
 *
 * Guest-physical layout (the VMM owns 0x0-0x6fff, see loader.h):
 *   0x0500            GDT (null, null, code64 0x10, data 0x18)
 *   0x1000-0x5fff     identity page tables (PML4, PDPT, three PDs)
 *   0x6000            struct guest_boot_info
 *   0x30000-0x4ffff   one 16 KiB stack per vCPU (sample guests only)
 *   0x100000          the guest image, starting with its header
 *   0xd0000000 + 4K*N virtio-mmio slot N (0 to VIRTIO_MMIO_SLOTS - 1), GSI 5 + N:
 *                     the VMM's devices in the order of its table
 *                     (sample_vmm/devices.c); a guest finds them by their
 *                     device ID, an empty slot reads as all ones
 *   0xfec00000        IOAPIC, 0xfee00000 LAPIC (in the kernel)
 */
#ifndef SAMPLE_VMM_GUEST_ABI_H
#define SAMPLE_VMM_GUEST_ABI_H

#include <stdint.h>

#define GUEST_GDT 0x0500ULL
#define GUEST_PML4 0x1000ULL
#define GUEST_BOOT_INFO 0x6000ULL
#define GUEST_STACKS 0x30000ULL
#define GUEST_STACK_SIZE 0x4000ULL
#define GUEST_LOAD_ADDR 0x100000ULL
#define GUEST_MAX_VCPUS 8

#define GUEST_CODE_SEL 0x10 /* Linux's __BOOT_CS */
#define GUEST_DATA_SEL 0x18 /* Linux's __BOOT_DS */

/* "SVMMGST1" read as a little-endian 64-bit word. */
#define GUEST_IMAGE_MAGIC 0x315453474d4d5653ULL

/* The first bytes of a guest image, written by guest.ld. */
struct guest_image_header {
	uint64_t magic;
	uint64_t entry;    /* guest-physical entry point, inside the image */
	uint64_t file_size; /* bytes of the flat image, header included */
	uint64_t mem_size;  /* bytes from GUEST_LOAD_ADDR the guest uses (with its bss) */
};

/* "SVMM" */
#define GUEST_BOOT_MAGIC 0x4d4d5653U
#define GUEST_FLAG_STAY 0x1U         /* idle after the tests instead of powering off */
#define GUEST_FLAG_DEMO_EXPLOIT 0x2U /* send the demo chain to device demo_device */
#define GUEST_FLAG_BENCH 0x4U        /* run the VM-exit benchmark loop */
#define GUEST_FLAG_HOSTILE 0x8U      /* then attack virtio-blk with malformed queues */

struct guest_boot_info {
	uint32_t magic;
	uint32_t flags;
	uint32_t ncpus;
	uint32_t bench_iterations;
	uint64_t mem_size;
	uint32_t demo_device; /* GUEST_FLAG_DEMO_EXPLOIT: the virtio device ID to attack */
	uint32_t reserved;
};

/* Port I/O. */
#define PORT_SERIAL 0x3f8     /* 16550 UART, COM1 */
#define PORT_POWER_OFF 0x501  /* a byte written here ends the VM with that exit status */
#define PORT_BENCH 0x502      /* writes exit to the VMM and are ignored: the benchmark */

/* virtio-mmio devices. */
#define VIRTIO_MMIO_SLOTS 8
#define VIRTIO_MMIO_SIZE 0x1000ULL
#define VIRTIO_MMIO_SLOT_BASE(n) (0xd0000000ULL + (uint64_t)(n) * VIRTIO_MMIO_SIZE)
#define VIRTIO_MMIO_SLOT_GSI(n) (5U + (unsigned)(n))

#define IOAPIC_BASE 0xfec00000ULL
#define LAPIC_BASE 0xfee00000ULL

/* The default guest's disk test: sectors 0..GUEST_PATTERN_SECTORS-1 get
 * byte i of sector s = GUEST_PATTERN(s, i). */
#define GUEST_PATTERN_SECTORS 4
#define GUEST_PATTERN(s, i) ((uint8_t)(((s) * 31u + (i) * 7u + 0x5au) & 0xffu))

/* The default guest's virtio-net test: its address and the peer it asks
 * for (ARP who-has GUEST_NET_PEER tell GUEST_NET_IP), on a /GUEST_NET_PREFIX
 * network; the host side of the tap is the peer.  Host byte order. */
#define GUEST_NET_IP 0x0a00020fU   /* 10.0.2.15 */
#define GUEST_NET_PEER 0x0a000201U /* 10.0.2.1 */
#define GUEST_NET_PREFIX 24

/* --demo-exploit: a descriptor chain whose first buffer starts with these
 * 16 bytes, on a queue the device serves, "takes over" the device thread
 * (no device would ever read such a request: it is the sample's stand-in
 * for a memory-safety bug a hostile guest exploits). */
#define GUEST_DEMO_MAGIC "sample-vmm-demo!"

#endif
