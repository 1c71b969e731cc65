#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the device fuzz targets' seeds, tests/fuzz/seeds/virtio_*/, as
programs in fuzz_device.c's format (its header comment): each sets the
device up and sends requests a driver would.  Run it again after changing
the format; the files are kept in git, so the suite needs no Python."""
import os
import struct

(OP_WRITE32, OP_READ32, OP_ACCESS, OP_MEM, OP_SETUP, OP_QUEUE, OP_DESC, OP_AVAIL,
 OP_CHAIN, OP_BUF, OP_NOTIFY, OP_WAKE, OP_HOST, OP_DRAIN, OP_RESET, OP_HOSTCTL) = range(16)
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


def host(data):
    """the host side sends data (one message on a datagram socket)"""
    return bytes([OP_HOST, len(data)]) + data


def hostctl(ctl, arg=0):
    return bytes([OP_HOSTCTL, ctl]) + struct.pack("<H", arg)


def config_write(off, data):
    """len(data) bytes (1 to 8) at configuration offset off"""
    return bytes([OP_ACCESS]) + struct.pack("<HB", 0x100 + off, 0x80 | (len(data) - 1)) + \
        data.ljust(8, b"\0")


def config_read(off, length=4):
    return bytes([OP_ACCESS]) + struct.pack("<HB", 0x100 + off, length - 1) + bytes(8)


def blk_hdr(kind, sector=0):
    return struct.pack("<IIQ", kind, 0, sector)


IN, OUT, FLUSH, GET_ID = 0, 1, 4, 8
RW, RO = b"\x00", b"\x01"  # byte 0: fuzz_device.c's line for virtio-blk

# virtio-net: a 12-byte virtio_net_hdr_v1 before every frame, both ways
NET_HDR = bytes(12)
MAC = bytes.fromhex("525400123456")
# an ARP request for 10.0.2.1 from the guest's MAC, as the built-in guest sends
ARP = b"\xff" * 6 + MAC + b"\x08\x06" + bytes.fromhex("0001080006040001") + MAC + \
    bytes([10, 0, 2, 15]) + bytes(6) + bytes([10, 0, 2, 1])
ARP = ARP.ljust(60, b"\0")
# its reply from the host, to the guest's MAC
REPLY = MAC + bytes.fromhex("020000000001") + b"\x08\x06" + \
    bytes.fromhex("0001080006040002") + bytes.fromhex("020000000001") + \
    bytes([10, 0, 2, 1]) + MAC + bytes([10, 0, 2, 15])
REPLY = REPLY.ljust(60, b"\0")
SEQ, DGRAM = b"\x00", b"\x01"  # fuzz_device.c's lines for virtio-net
RXQ, TXQ = 0, 1


def net_tx(idx, frame=ARP):
    return buf(idx, NET_HDR + frame) + chain(idx, [(12 + len(frame), False)], q=TXQ)


def net_rx(idx, room=1514):
    return chain(idx, [(12 + room, True)], q=RXQ)


SOCK, PTY = b"\x00", b"\x01"  # the lines for virtio-console
CON_F_SIZE = 0  # VIRTIO_CONSOLE_F_SIZE
DEFAULT, NONE, MOST = b"\x00", b"\x01", b"\x02"  # the lines for virtio-balloon
INFLATE, DEFLATE = 0, 1


def pfns(*nums):
    return struct.pack("<%dI" % len(nums), *nums)


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
    "virtio_net": {
        "tx": SEQ + setup() + net_tx(0) + bytes([OP_DRAIN]),
        "tx_dgram": DGRAM + setup() + net_tx(0) + bytes([OP_DRAIN]),
        # the header in a buffer of its own, the frame in two more
        "tx_split": SEQ + setup() + buf(0, NET_HDR) + buf(1, ARP[:20]) + buf(2, ARP[20:]) +
        chain(0, [(12, False), (20, False), (40, False)], q=TXQ),
        # a writable buffer, a chain short of a header and an Ethernet header
        "tx_bad": SEQ + setup() + net_tx(0) + chain(0, [(72, False), (8, True)], q=TXQ) +
        chain(2, [(20, False)], q=TXQ),
        # a datagram pair takes 10 frames unread: the rest are dropped
        # (EAGAIN), and after the peer read them one goes again
        "tx_full": DGRAM + setup(16) + buf(0, NET_HDR + ARP) +
        b"".join(chain(0, [(72, False)], q=TXQ) for _ in range(12)) + bytes([OP_DRAIN]) +
        chain(0, [(72, False)], q=TXQ),
        "rx": SEQ + setup() + net_rx(0) + host(REPLY) + bytes([OP_WAKE]),
        "rx_dgram": DGRAM + setup() + net_rx(0) + host(REPLY) + bytes([OP_WAKE]),
        # the frame waits in the socket until the guest gives a buffer
        "rx_host_first": SEQ + setup() + host(REPLY) + bytes([OP_WAKE]) + net_rx(0),
        # a frame bigger than the chain is dropped and the chain kept
        # for the next; a chain short of the headers given back empty
        "rx_too_big": SEQ + setup() + net_rx(0, 40) + host(REPLY) + bytes([OP_WAKE]) +
        host(REPLY[:40]) + bytes([OP_WAKE]) + chain(1, [(20, True)], q=RXQ),
        # an ARP exchange: request out, reply in, into a chain of two buffers
        "arp": SEQ + setup() + chain(0, [(12, True), (1514, True)], q=RXQ) + net_tx(2) +
        bytes([OP_DRAIN]) + host(REPLY) + bytes([OP_WAKE]),
        # the peer leaves: an end of file, no more frames either way
        "peer_gone": SEQ + setup() + net_rx(0) + hostctl(2) + bytes([OP_WAKE]) + net_tx(1),
        # a reset while a receive chain waits, then a second start
        "reset_pending": SEQ + setup() + net_rx(0) + bytes([OP_RESET]) + setup(4) +
        host(REPLY) + net_rx(1) + bytes([OP_WAKE]),
        "config_mac": DGRAM + config_read(0) + config_read(4, 2) + setup() +
        config_write(0, b"\x02\x00"),
    },
    "virtio_console": {
        "tx": SOCK + setup() + buf(0, b"hello\n") + chain(0, [(6, False)], q=TXQ) +
        bytes([OP_DRAIN]),
        "rx": SOCK + setup() + chain(0, [(64, True)], q=RXQ) + host(b"input\n") +
        bytes([OP_WAKE]),
        # host input before any buffer, then over two small ones
        "rx_host_first": SOCK + setup() + host(b"0123456789") + bytes([OP_WAKE]) +
        chain(0, [(4, True)], q=RXQ) + chain(1, [(8, True)], q=RXQ) + bytes([OP_WAKE]),
        # 20 KiB out through a socket with a 4 KiB buffer: partial writes,
        # the chain kept until POLLOUT after each read of the peer
        "tx_full": SOCK + setup() +
        chain(0, [(2048, False)] * 10, q=TXQ) + bytes([OP_DRAIN, OP_WAKE]) * 6 +
        buf(12, b"after\n") + chain(12, [(6, False)], q=TXQ) + bytes([OP_DRAIN, OP_WAKE]),
        # the peer stops sending: an end of file for the guest's buffer
        "eof": SOCK + setup() + hostctl(0) + chain(0, [(64, True)], q=RXQ) + bytes([OP_WAKE]),
        # the peer stops reading: the guest's output is dropped (EPIPE)
        "epipe": SOCK + setup() + hostctl(1) + buf(0, b"lost\n") +
        chain(0, [(5, False)], q=TXQ) + bytes([OP_WAKE]) + chain(1, [(5, False)], q=TXQ),
        # a reset while a transmit chain waits for POLLOUT, a second start
        "reset_busy": SOCK + setup() + chain(0, [(4096, False)] * 4, q=TXQ) + bytes([OP_RESET]) +
        bytes([OP_DRAIN]) + setup(4) + buf(0, b"again\n") + chain(0, [(6, False)], q=TXQ) +
        bytes([OP_DRAIN]),
        # a terminal: the size in configuration space, resized
        "pty_resize": PTY + config_read(0) + setup() + hostctl(0, 24 << 8 | 80) +
        bytes([OP_WAKE]) + config_read(0),
        "pty_tx_rx": PTY + setup() + buf(0, b"login: ") + chain(0, [(7, False)], q=TXQ) +
        bytes([OP_DRAIN]) + chain(1, [(16, True)], q=RXQ) + host(b"root\r") + bytes([OP_WAKE]),
        # the terminal hangs up: its reads fail (EIO), input ends
        "pty_hangup": PTY + setup() + chain(0, [(16, True)], q=RXQ) + hostctl(1) +
        bytes([OP_WAKE]) + buf(1, b"bye\n") + chain(1, [(4, False)], q=TXQ),
        # without F_SIZE
        "pty_no_size": PTY + setup(8, 0x40 | CON_F_SIZE) + hostctl(0, 50 << 8 | 132) +
        bytes([OP_WAKE]),
    },
    "virtio_balloon": {
        "inflate": DEFAULT + setup() + buf(0, pfns(0xf0, 0xf1, 0xf2, 0xf3)) +
        chain(0, [(16, False)], q=INFLATE),
        # outside memory (1 MiB: 256 pages), and the last page, skipped or not
        "inflate_invalid": DEFAULT + setup() + buf(0, pfns(0x100, 0xffffffff, 0xff, 0x100000)) +
        chain(0, [(16, False)], q=INFLATE),
        "deflate": DEFAULT + setup() + buf(0, pfns(0xf0, 0xf1, 0x100)) +
        chain(0, [(12, False)], q=DEFLATE),
        # inflated, then deflated, then the guest's page read again (zeros)
        "inflate_deflate": DEFAULT + setup() + bytes([OP_MEM]) + struct.pack("<I", 0xe0000) +
        bytes([4]) + b"data" + buf(0, pfns(0xe0)) + chain(0, [(4, False)], q=INFLATE) +
        buf(1, pfns(0xe0)) + chain(1, [(4, False)], q=DEFLATE),
        # trailing bytes short of a PFN, a writable buffer, PFNs split
        # over two buffers
        "odd_chain": DEFAULT + setup() + buf(0, pfns(0xf0)) + buf(1, pfns(0xf1, 0xf2)) +
        chain(0, [(2, False), (8, False), (16, True)], q=INFLATE),
        # the pages of the balloon's own rings and buffers
        "inflate_rings": DEFAULT + setup() + buf(0, pfns(0x10, 0x11, 0x12, 0x20)) +
        chain(0, [(16, False)], q=INFLATE) + buf(1, pfns(0xf0)) + chain(1, [(4, False)], q=INFLATE),
        # the driver's actual, the device's num_pages (read-only)
        "config_actual": DEFAULT + setup() + config_write(4, struct.pack("<I", 4)) +
        config_read(0) + config_read(4),
        "config_num_pages": NONE + setup() + config_write(0, struct.pack("<II", 7, 9)) +
        config_read(0, 8) + config_write(2, b"\xff\xff\xff\xff"),
        "most": MOST + config_read(0) + setup() + buf(0, pfns(*range(0x80, 0x90))) +
        chain(0, [(64, False)], q=INFLATE),
    },
}

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
for target, files in seeds.items():
    os.makedirs(os.path.join(top, target), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(top, target, name), "wb") as f:
            f.write(data)
