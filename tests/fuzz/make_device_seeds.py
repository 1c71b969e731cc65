#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the device fuzz targets' seeds, tests/fuzz/seeds/virtio_*/, as
programs in fuzz_device.c's format (its header comment): each sets the
device up and sends requests a driver would.  Run it again after changing
the format; the files are kept in git, so the suite needs no Python."""
import os
import struct

(OP_WRITE32, OP_READ32, OP_ACCESS, OP_MEM, OP_SETUP, OP_QUEUE, OP_DESC, OP_AVAIL,
 OP_CHAIN, OP_BUF, OP_NOTIFY, OP_WAKE, OP_HOST, OP_DRAIN, OP_RESET) = range(15)
WRITE = 2  # VRING_DESC_F_WRITE
NEXT = 1   # VRING_DESC_F_NEXT


def setup(num=8, feat=0):
    return bytes([OP_SETUP, num, feat])


def buf(idx, data, off=0):
    return bytes([OP_BUF, idx, off, len(data)]) + data


def chain(head, bufs, q=0):
    """bufs: (len, writable) from head on, in consecutive descriptors"""
    out = bytes([OP_CHAIN, q, head, len(bufs) - 1])
    for length, writable in bufs:
        out += struct.pack("<HB", length, WRITE if writable else 0)
    return out


def desc(idx, off, length, flags, nxt, q=0):
    """descriptor idx of queue q: its buffer at SLOT_AREA + off * 16"""
    return bytes([OP_DESC, q, idx]) + struct.pack("<HHBB", off, length, flags, nxt)


def blk_hdr(kind, sector=0):
    return struct.pack("<IIQ", kind, 0, sector)


IN, OUT, FLUSH, GET_ID = 0, 1, 4, 8
RW, RO = b"\x00", b"\x01"  # byte 0: fuzz_device.c's line for virtio-blk

seeds = {
    "virtio_blk": {
        "read": RW + setup() + buf(0, blk_hdr(IN, 1)) +
        chain(0, [(16, False), (512, True), (1, True)]),
        "write_read": RW + setup() + buf(0, blk_hdr(OUT, 2)) + buf(1, b"sector two" * 8) +
        chain(0, [(16, False), (512, False), (1, True)]) + buf(3, blk_hdr(IN, 2)) +
        chain(3, [(16, False), (1024, True), (1, True)]),
        "flush": RW + setup() + buf(0, blk_hdr(FLUSH)) + chain(0, [(16, False), (1, True)]),
        "get_id": RW + setup() + buf(0, blk_hdr(GET_ID)) +
        chain(0, [(16, False), (20, True), (1, True)]),
        "read_only_write": RO + setup() + buf(0, blk_hdr(OUT, 0)) +
        chain(0, [(16, False), (512, False), (1, True)]),
        "last_sector": RW + setup(16) + buf(0, blk_hdr(IN, 63)) +
        chain(0, [(16, False), (512, True), (1, True)]) + buf(3, blk_hdr(IN, 63)) +
        chain(3, [(16, False), (1024, True), (1, True)]),
        "unsupported": RW + setup() + buf(0, blk_hdr(11)) + chain(0, [(16, False), (1, True)]),
        # the image shrinks to 1000 bytes: sector 1 reads short, then zeros
        "shrunk": RW + setup() + bytes([OP_HOST, 2]) + struct.pack("<H", 1000) +
        buf(0, blk_hdr(IN, 1)) + chain(0, [(16, False), (512, True), (1, True)]),
        # capacity from config space, then a reset and a second start
        "config_reset": RW + bytes([OP_READ32, 0x100 // 4, OP_ACCESS]) +
        struct.pack("<HB", 0x104, 3) + bytes(8) + setup() + bytes([OP_RESET]) + setup(4) +
        buf(0, blk_hdr(IN, 0)) + chain(0, [(16, False), (512, True), (1, True)]),
        # descriptors by hand: a head past QueueNum, then a good request
        "by_hand": RW + setup(4) + desc(9, 0, 16, NEXT, 1) + bytes([OP_AVAIL, 0, 9, OP_NOTIFY, 0]) + setup(4) + buf(0, blk_hdr(FLUSH)) +
        chain(0, [(16, False), (1, True)]),
        # GET_ID's buffer runs 4 bytes past the end of memory: refused
        "past_end": RW + setup() + buf(0, blk_hdr(GET_ID)) + desc(0, 0, 16, NEXT, 1) +
        desc(1, 0xdfff, 20, WRITE | NEXT, 2) + desc(2, 0x100, 1, WRITE, 0) +
        bytes([OP_AVAIL, 0, 0, OP_NOTIFY, 0]),
    },
    "virtio_rng": {
        "one": b"\x00" + setup() + chain(0, [(64, True)]),
        "two_buffers": b"\x00" + setup() + chain(0, [(16, True), (48, True)]),
        "readable_only": b"\x00" + setup() + chain(0, [(32, False)]) + chain(1, [(8, True)]),
        # a reset, then queue 0 alone, its used ring past the end of memory: refused
        "queue_outside": b"\x00" + setup() + bytes([OP_WRITE32, 0x70 // 4]) + bytes(4) +
        bytes([OP_QUEUE, 0, 8, 0x80]) + chain(0, [(8, True)]),
        "ring_wrap": b"\x00" + setup(2) + b"".join(chain(i % 2, [(8, True)]) for i in range(5)),
        "reset": b"\x00" + setup() + chain(0, [(64, True)]) + bytes([OP_RESET, OP_WAKE]) +
        setup(1) + chain(0, [(64, True)]),
    },
}

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
for target, files in seeds.items():
    os.makedirs(os.path.join(top, target), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(top, target, name), "wb") as f:
            f.write(data)
