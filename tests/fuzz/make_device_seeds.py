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


# virtio-vsock: the guest is CID 3 (fuzz_device.c's line), the host 2; the
# harness's host service listens on port 52
V_REQUEST, V_RESPONSE, V_RST, V_SHUTDOWN, V_RW, V_CREDIT_UPDATE, V_CREDIT_REQUEST = range(1, 8)
V_STREAM, V_SEQPACKET = 1, 2
HOST_PORT, GUEST_PORT = 52, 1000
LOCAL_PORT = 1 << 30  # the device's first port for a host-initiated connection


def vsock_hdr(op, length=0, flags=0, src_cid=3, dst_cid=2, src=GUEST_PORT, dst=HOST_PORT,
              kind=V_STREAM, buf_alloc=4096, fwd_cnt=0):
    return struct.pack("<QQIIIHHIII", src_cid, dst_cid, src, dst, length, kind, op, flags,
                       buf_alloc, fwd_cnt)


def vsock_tx(idx, op, data=b"", chain_len=None, **kw):
    """a packet in descriptor idx (8 on: apart from the receive buffers'
    slots, which are shared by every queue; QueueNum 16)"""
    pkt = vsock_hdr(op, len(data), **kw) + data
    return buf(idx, pkt) + chain(idx, [(chain_len or len(pkt), False)], q=1)


def vsock_rx(n=4, room=256):
    """n receive buffers of a header and room bytes, descriptors 0 on"""
    return b"".join(chain(i, [(44 + room, True)], q=0) for i in range(n))


VSOCK_OPEN = b"\x00" + setup(16) + vsock_rx() + vsock_tx(8, V_REQUEST)

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
    "virtio_vsock": {
        # a connection to the host service, answered with OP_RESPONSE
        "request": VSOCK_OPEN,
        # ... bytes both ways, the host's read by the host service
        "request_rw": VSOCK_OPEN + vsock_tx(9, V_RW, b"hello") + bytes([OP_DRAIN]) +
        host(b"world") + bytes([OP_WAKE]),
        # no one listens on port 53: OP_RST
        "refused": b"\x00" + setup(16) + vsock_rx() + vsock_tx(8, V_REQUEST, dst=53),
        "shutdown": VSOCK_OPEN + vsock_tx(9, V_SHUTDOWN, flags=3),
        # the guest stops sending (the host's end shut for writing), then
        # the host program: OP_SHUTDOWN to the guest
        "shutdown_send": VSOCK_OPEN + vsock_tx(9, V_SHUTDOWN, flags=1) + host(b"last") +
        hostctl(2) + bytes([OP_WAKE, OP_WAKE]),
        "shutdown_rcv": VSOCK_OPEN + vsock_tx(9, V_SHUTDOWN, flags=2) + host(b"unread") +
        bytes([OP_WAKE]),
        "credit": VSOCK_OPEN + vsock_tx(9, V_CREDIT_REQUEST) +
        vsock_tx(10, V_CREDIT_UPDATE, buf_alloc=16, fwd_cnt=0) + host(b"0123456789abcdefXYZ") +
        bytes([OP_WAKE]) + vsock_tx(11, V_CREDIT_UPDATE, buf_alloc=16, fwd_cnt=16) +
        bytes([OP_WAKE]),
        # a host program connects to PATH and asks for guest port 1234:
        # OP_REQUEST to the guest, its OP_RESPONSE, "OK <port>\n" back
        "host_connect": b"\x00" + setup(16) + vsock_rx() + hostctl(0) + bytes([OP_WAKE]) +
        host(b"CONNECT 1234\n") + bytes([OP_WAKE]) +
        vsock_tx(8, V_RESPONSE, src=1234, dst=LOCAL_PORT) + bytes([OP_DRAIN]) + host(b"hi") +
        bytes([OP_WAKE]) + vsock_tx(9, V_RW, b"ho", src=1234, dst=LOCAL_PORT),
        # ... refused by the guest; and a line that is no CONNECT
        "host_refused": b"\x00" + setup(16) + vsock_rx() + hostctl(0) + bytes([OP_WAKE]) +
        host(b"CONNECT 1234\n") + bytes([OP_WAKE]) +
        vsock_tx(8, V_RST, src=1234, dst=LOCAL_PORT) + hostctl(0) + bytes([OP_WAKE]) +
        host(b"HELLO\n") + bytes([OP_WAKE]),
        # short of a header, another CID, SEQPACKET, a length beyond the
        # chain, no connection, an unknown op on an open one
        "bad_packets": VSOCK_OPEN + buf(9, bytes(20)) + chain(9, [(20, False)], q=1) +
        vsock_tx(10, V_RW, b"x", src_cid=4) + vsock_tx(11, V_REQUEST, kind=V_SEQPACKET) +
        vsock_tx(12, V_RW, b"abcd", chain_len=46) + vsock_tx(13, V_RW, b"y", src=7) +
        vsock_tx(14, 99),
        # the guest sends more than the device's credit (32 KiB): OP_RST
        "over_credit": VSOCK_OPEN + buf(9, vsock_hdr(V_RW, 36000)) +
        chain(9, [(44, False), (36000, False)], q=1),
        # a reset with a connection open, a second start
        "reset_open": VSOCK_OPEN + bytes([OP_RESET]) + bytes([OP_WAKE]) + setup(16) +
        vsock_rx(2) + vsock_tx(8, V_REQUEST, src=1001),
        # a receive buffer shorter than a header: the device needs a reset
        "rx_short": b"\x00" + setup(16) + chain(0, [(40, True)], q=0) + vsock_tx(8, V_REQUEST),
        "config_cid": b"\x00" + config_read(0, 8) + setup(16),
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
