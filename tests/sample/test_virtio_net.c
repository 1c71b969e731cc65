/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of sample-vmm's virtio-net (sample_vmm/virtio_net.c) and
 * the built-in guest's driver (guest/net.c).
 *
 * The network tests run the VMM in a network namespace of its own: the
 * test unshares one, makes the tap there (persistent, up, with the peer's
 * address GUEST_NET_PEER/GUEST_NET_PREFIX) and returns to its own
 * namespace at once; the VMM is started inside it (setns around start()),
 * attaches to the tap, and the namespace's kernel answers the guest's ARP
 * request.  The namespace ends with the last process and socket in it:
 * nothing to clean up.  Those tests need CAP_NET_ADMIN and /dev/net/tun.
 *
 * The others hand the VMM one end of a seqpacket socket pair (--net fd=N)
 * and play the peer themselves: they need only KVM.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/abi.h"
#include "vmm_run.h"

#define TAP "svmm0"
#define GUEST_MAC "52:54:00:12:34:56" /* the device's default */
#define HDR_LEN 12		      /* struct virtio_net_hdr_v1 */
#define ARP_FRAME (ETH_HLEN + 28)

static const uint8_t guest_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

#define VMM_ARGS(...) ARGS(__VA_ARGS__)

/* ---- the network namespace ------------------------------------------------ */

/* The test's own namespace, to come back to. */
static int home_ns = -1;

static void enter_ns(int ns)
{
	if (setns(ns, CLONE_NEWNET) < 0)
		fail_msg("setns: %s", strerror(errno));
}

/* A new network namespace (its descriptor), the test back in its own; -1
 * after saying why the test skips. */
static int netns_new(void)
{
	struct ifreq ifr = { .ifr_name = "svmmprobe", .ifr_flags = IFF_TAP | IFF_NO_PI };
	int ns, tun;

	if (access("/dev/net/tun", F_OK) < 0) {
		printf("SKIP virtio-net: /dev/net/tun absent\n");
		return -1;
	}
	if (home_ns < 0)
		home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(home_ns >= 0);
	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP virtio-net: cannot make a network namespace (%s): needs "
		       "CAP_SYS_ADMIN\n",
		       strerror(errno));
		return -1;
	}
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	/* a tap made and gone at once: can this process make taps? */
	tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tun < 0 || ioctl(tun, TUNSETIFF, &ifr) < 0) {
		printf("SKIP virtio-net: cannot make a tap (%s): needs CAP_NET_ADMIN\n",
		       strerror(errno));
		enter_ns(home_ns);
		if (tun >= 0)
			close(tun);
		close(ns);
		return -1;
	}
	close(tun);
	enter_ns(home_ns);
	assert_true(ns >= 0);
	return ns;
}

/* In namespace ns: tap `name` with `flags` (IFF_TAP | IFF_NO_PI | ...),
 * persistent if asked, up with the peer's address, its MAC in hw.  Returns
 * its descriptor (the test's own namespace entered again). */
static int make_tap(int ns, const char *name, short flags, int persist, uint8_t hw[ETH_ALEN])
{
	struct ifreq ifr = { .ifr_flags = flags };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd, s;

	enter_ns(ns);
	fd = open("/dev/net/tun", O_RDWR);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || s < 0)
		fail_msg("/dev/net/tun or a socket: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || (persist && ioctl(fd, TUNSETPERSIST, 1) < 0))
		fail_msg("TUNSETIFF %s: %s", name, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(GUEST_NET_PEER);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		fail_msg("SIOCSIFADDR: %s", strerror(errno));
	sin->sin_addr.s_addr = htonl(~0U << (32 - GUEST_NET_PREFIX));
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		fail_msg("SIOCSIFNETMASK: %s", strerror(errno));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail_msg("SIOCGIFFLAGS: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		fail_msg("SIOCSIFFLAGS/SIOCGIFHWADDR: %s", strerror(errno));
	memcpy(hw, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(s);
	enter_ns(home_ns);
	return fd;
}

/* A persistent tap TAP in ns, up, nobody attached: the VMM attaches. */
static void make_persistent_tap(int ns, uint8_t hw[ETH_ALEN])
{
	close(make_tap(ns, TAP, IFF_TAP | IFF_NO_PI, 1, hw));
}

/* A packet socket on `name` in ns: every ARP frame through it. */
static int sniff(int ns, const char *name)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP) };
	struct ifreq ifr = { 0 };
	int s;

	enter_ns(ns);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (s < 0 || ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		fail_msg("packet socket on %s: %s", name, strerror(errno));
	a.sll_ifindex = ifr.ifr_ifindex;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		fail_msg("packet socket on %s: %s", name, strerror(errno));
	enter_ns(home_ns);
	return s;
}

/* An ARP frame, request (op 1) or reply (op 2), from sha/spa to tha/tpa. */
static void arp_frame(uint8_t *f, int op, const uint8_t *sha, uint32_t spa, const uint8_t *tha,
		      uint32_t tpa)
{
	uint32_t be;

	memset(f, 0, ARP_FRAME);
	if (op == 1)
		memset(f, 0xff, ETH_ALEN);
	else
		memcpy(f, tha, ETH_ALEN);
	memcpy(f + 6, sha, ETH_ALEN);
	f[12] = 0x08;
	f[13] = 0x06;
	f[ETH_HLEN + 1] = 1;
	f[ETH_HLEN + 2] = 0x08;
	f[ETH_HLEN + 4] = 6;
	f[ETH_HLEN + 5] = 4;
	f[ETH_HLEN + 7] = (uint8_t)op;
	memcpy(f + ETH_HLEN + 8, sha, ETH_ALEN);
	be = htonl(spa);
	memcpy(f + ETH_HLEN + 14, &be, 4);
	if (op == 2)
		memcpy(f + ETH_HLEN + 18, tha, ETH_ALEN);
	be = htonl(tpa);
	memcpy(f + ETH_HLEN + 24, &be, 4);
}

/* The packet socket saw the guest's request come in (not go out). */
static void assert_request_arrived(int s, const uint8_t *mac)
{
	static const uint8_t zero[ETH_ALEN];
	uint8_t want[ARP_FRAME], f[2048];
	struct sockaddr_ll from;
	socklen_t flen = sizeof(from);
	int seen = 0;
	ssize_t n;

	arp_frame(want, 1, mac, GUEST_NET_IP, zero, GUEST_NET_PEER);
	/* A tap the VMM closed is gone: the socket says ENETDOWN once, then
	 * gives what it queued. */
	while ((n = recvfrom(s, f, sizeof(f), 0, (struct sockaddr *)&from, &flen)) > 0 ||
	       (n < 0 && errno == ENETDOWN)) {
		if (n > 0 && from.sll_pkttype != PACKET_OUTGOING && n >= ARP_FRAME &&
		    !memcmp(f, want, ARP_FRAME))
			seen++;
		flen = sizeof(from);
	}
	if (seen != 1)
		fail_msg("the host saw the guest's ARP request %d times", seen);
}

static void start_in_ns(int ns, struct run *r, const char *const *args)
{
	enter_ns(ns);
	start(r, args);
	enter_ns(home_ns);
}

/* "xx:xx:xx:xx:xx:xx" */
static void mac_str(char *s, size_t len, const uint8_t *m)
{
	snprintf(s, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void assert_reply_from(const struct run *r, const uint8_t *peer)
{
	char want[96], m[18];

	mac_str(m, sizeof(m), peer);
	snprintf(want, sizeof(want), "virtio-net: ARP reply from 10.0.2.1 (MAC %s)\n", m);
	assert_has(r->out, "virtio-net: sent ARP request\n");
	assert_has(r->out, want);
	assert_lacks(r->out, "virtio-net: no reply");
}

/* ---- 1: the guest's ARP request answered by the namespace's kernel --------- */

/* A run of the guest with `args` on tap TAP: exit 0, the reply, no report,
 * and the request seen on the host side. */
static void round_trip(const char *const *args, const uint8_t *mac, const char *mac_line)
{
	uint8_t hw[ETH_ALEN];
	struct run r;
	int ns, s;

	if (!kvm_present() || (ns = netns_new()) < 0) {
		skip();
		return;
	}
	make_persistent_tap(ns, hw);
	s = sniff(ns, TAP);
	start_in_ns(ns, &r, args);
	finish(&r);
	assert_exit(&r, 0);
	assert_has(r.out, mac_line);
	assert_reply_from(&r, hw);
	assert_has(r.out, "sample-guest: all tests passed\n");
	assert_lacks(r.err, "vmm_seccomp: "); /* no report: no violation, nothing unreviewed */
	assert_request_arrived(s, mac);
	close(s);
	close(ns);
	release(&r);
}

static void test_arp_round_trip(void **state)
{
	(void)state;
	round_trip(VMM_ARGS("--net", "tap=" TAP), guest_mac, "virtio-net: mac " GUEST_MAC "\n");
}

/* errno mode reports every syscall outside the policies: none. */
static void test_errno_mode_with_mac(void **state)
{
	static const uint8_t mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };

	(void)state;
	round_trip(VMM_ARGS("--net", "tap=" TAP, "--net-mac", "02:00:00:AA:bb:cc", "--seccomp",
			    "errno", "--vcpus", "2"),
		   mac, "virtio-net: mac 02:00:00:aa:bb:cc\n");
}

/* ---- 2: the thread under its filters, the API, the counters --------------- */

/* svmm0's received (host side: from the guest) packets in /proc/PID/net/dev. */
static long rx_packets(pid_t pid)
{
	char path[64], buf[4096], *line;
	long bytes, packets;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0 || !(line = strstr(buf, TAP ":")) ||
	    sscanf(line + strlen(TAP ":"), "%ld %ld", &bytes, &packets) != 2)
		fail_msg("no %s in %s:\n%s", TAP, path, buf);
	return packets;
}

static void test_thread_filtered(void **state)
{
	char sock[96], *resp;
	uint8_t hw[ETH_ALEN];
	int ns;
	struct run r;

	(void)state;
	if (!kvm_present() || (ns = netns_new()) < 0) {
		skip();
		return;
	}
	make_persistent_tap(ns, hw);
	path_in_tmp(sock, sizeof(sock), "net.sock");
	start_in_ns(ns, &r, VMM_ARGS("--net", "tap=" TAP, "--guest-stay", "--api-sock", sock));
	wait_for_stay(&r);
	assert_int_equal(threads_filtered(r.pid, "virtio-net"), 1);
	/* the guest's frame reached the tap: received, on the host side */
	assert_true(rx_packets(r.pid) >= 1);
	resp = api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_has(resp, "{\"type\":\"virtio-net\",\"mmio\":\"0xd0002000\",\"gsi\":7,"
			 "\"role\":\"virtio_net\",\"tap\":\"" TAP "\",\"mac\":\"" GUEST_MAC
			 "\",\"rx_dropped\":0,\"tx_dropped\":0}");
	stop_stayed(&r);
	assert_reply_from(&r, hw);
	close(ns);
	release(&r);
}

/* ---- 3: the other ways to name the tap ------------------------------------ */

/* --net tap: a tap named by the kernel, said on stderr; nobody answers. */
static void test_tap_chosen_by_kernel(void **state)
{
	struct run r;
	int ns;

	(void)state;
	if (!kvm_present() || (ns = netns_new()) < 0) {
		skip();
		return;
	}
	start_in_ns(ns, &r, VMM_ARGS("--net", "tap"));
	finish(&r);
	assert_exit(&r, 0);
	assert_has(r.err, "sample-vmm: virtio-net: tap tap0\n"); /* the namespace's first */
	assert_has(r.out, "virtio-net: sent ARP request\nvirtio-net: no reply\n");
	assert_has(r.out, "sample-guest: all tests passed\n");
	close(ns);
	release(&r);
}

/* --net fd=N: a tap the test opened, with IFF_VNET_HDR (the device then
 * gives the tap a header of its own). */
static void test_tap_fd_with_vnet_hdr(void **state)
{
	uint8_t hw[ETH_ALEN];
	char opt[32];
	struct run r;
	int ns, fd, s;

	(void)state;
	if (!kvm_present() || (ns = netns_new()) < 0) {
		skip();
		return;
	}
	fd = make_tap(ns, TAP, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, 0, hw);
	s = sniff(ns, TAP);
	snprintf(opt, sizeof(opt), "fd=%d", fd);
	start_in_ns(ns, &r, VMM_ARGS("--net", opt));
	close(fd); /* the VMM's now */
	finish(&r);
	assert_exit(&r, 0);
	assert_reply_from(&r, hw);
	assert_lacks(r.err, "vmm_seccomp: ");
	assert_request_arrived(s, guest_mac);
	close(s);
	close(ns);
	release(&r);
}

/* ---- 4: the test as the peer, on a socket pair ----------------------------- */

/* One end of a seqpacket pair for the VMM (inherited, --net fd=N), the
 * other for the test; opt gets "fd=N". */
static void socket_pair(int sv[2], char *opt, size_t len)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFD, FD_CLOEXEC), 0);
	snprintf(opt, len, "fd=%d", sv[1]);
}

/* The next frame on s within timeout_ms: its length, or -1. */
static ssize_t next_frame(int s, uint8_t *f, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return recv(s, f, len, MSG_DONTWAIT);
}

static void test_peer_on_socket_pair(void **state)
{
	static const uint8_t peer[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t zero[ETH_ALEN];
	uint8_t want[ARP_FRAME], f[2048], reply[ARP_FRAME];
	char opt[32], sock[96];
	struct run r;
	int sv[2];
	ssize_t n;

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	socket_pair(sv, opt, sizeof(opt));
	path_in_tmp(sock, sizeof(sock), "pair.sock");
	start(&r, VMM_ARGS("--net", opt, "--guest-stay", "--api-sock", sock));
	close(sv[1]);
	/* exactly the guest's request, no header: the device took it off */
	n = next_frame(sv[0], f, sizeof(f), TIMEOUT_S * 1000);
	arp_frame(want, 1, guest_mac, GUEST_NET_IP, zero, GUEST_NET_PEER);
	if (n != ARP_FRAME || memcmp(f, want, ARP_FRAME) != 0) {
		finish(&r);
		print_run(&r);
		fail_msg("expected the guest's ARP request, got %zd bytes", n);
	}
	/* an oversized frame first: dropped, the guest's buffer kept for the
	 * reply */
	memset(f, 0xee, sizeof(f));
	assert_int_equal(send(sv[0], f, sizeof(f), 0), (ssize_t)sizeof(f));
	arp_frame(reply, 2, peer, GUEST_NET_PEER, guest_mac, GUEST_NET_IP);
	assert_int_equal(send(sv[0], reply, sizeof(reply), 0), (ssize_t)sizeof(reply));
	wait_for_stay(&r);
	assert_has(api_request(sock, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n"),
		   "\"tap\":null,\"mac\":\"" GUEST_MAC "\",\"rx_dropped\":1,\"tx_dropped\":0}");
	stop_stayed(&r);
	assert_reply_from(&r, peer);
	assert_lacks(r.err, "vmm_seccomp: ");
	close(sv[0]);
	release(&r);
}

/* ---- 5: containment and a hostile guest ------------------------------------ */

static void test_demo_contained(void **state)
{
	char opt[32];
	struct run r;
	int sv[2];

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	socket_pair(sv, opt, sizeof(opt));
	run_vmm(&r, "--net", opt, "--demo-exploit=virtio-net");
	close(sv[0]);
	close(sv[1]);
	assert_demo_contained(&r, "virtio-net", "virtio_net");
	release(&r);
}

static void test_hostile_guest(void **state)
{
	char opt[32];
	struct run r;
	int sv[2];

	(void)state;
	if (!kvm_present()) {
		skip();
		return;
	}
	socket_pair(sv, opt, sizeof(opt));
	run_vmm(&r, "--net", opt, "--guest-hostile", "--mem", "16");
	close(sv[0]);
	close(sv[1]);
	assert_exit(&r, 0);
	/* the 7 transport attacks and the device's 4 */
	assert_has(r.out, "hostile: virtio-net: 11 attacks refused, device still works\n");
	assert_has(r.out, "sample-guest: all tests passed\n");
	assert_has(r.err, "sample-vmm: virtio-net: descriptor chain too long or looping; device "
			  "needs reset\n");
	assert_lacks(r.err, "vmm_seccomp: ");
	release(&r);
}

/* ---- 6: bad values --------------------------------------------------------- */

static void refused(const char *const *args, const char *msg)
{
	struct run r;

	start(&r, args);
	finish(&r);
	assert_exit(&r, 1);
	assert_has(r.err, msg);
	assert_lacks(r.out, "cpu 0 online");
	release(&r);
}

static void test_bad_values(void **state)
{
	char file[96], opt[32];
	int fd, sv[2];

	(void)state;
	refused(ARGS("--net", "foo"), "--net 'foo': expected tap, tap=NAME or fd=N");
	refused(ARGS("--net", "fd="), "--net 'fd=': expected tap, tap=NAME or fd=N");
	refused(ARGS("--net", "fd=-1"), "--net 'fd=-1': expected tap, tap=NAME or fd=N");
	refused(ARGS("--net", "fd=12x"), "--net 'fd=12x': expected tap, tap=NAME or fd=N");
	refused(ARGS("--net", "fd=99999999999"),
		"--net 'fd=99999999999': expected tap, tap=NAME or fd=N");
	refused(ARGS("--net", "fd=999"), "--net 'fd=999': descriptor 999 is not open");
	refused(ARGS("--net", "tap="), "--net 'tap=': not an interface name");
	refused(ARGS("--net", "tap=a/b"), "--net 'tap=a/b': not an interface name");
	refused(ARGS("--net", "tap=sixteen-bytes-xy"),
		"--net 'tap=sixteen-bytes-xy': not an interface name");
	refused(ARGS("--net", "tap", "--net-mac", "52:54:00:12:34"),
		"--net-mac '52:54:00:12:34': expected XX:XX:XX:XX:XX:XX");
	refused(ARGS("--net", "tap", "--net-mac", "52-54-00-12-34-56"),
		"--net-mac '52-54-00-12-34-56': expected XX:XX:XX:XX:XX:XX");
	refused(ARGS("--net", "tap", "--net-mac", "01:00:5e:00:00:01"),
		"--net-mac '01:00:5e:00:00:01': a multicast address");
	refused(ARGS("--net", "tap", "--net-mac", "00:00:00:00:00:00"),
		"--net-mac '00:00:00:00:00:00': the all-zero address");
	refused(ARGS("--net-mac", GUEST_MAC), "--net-mac needs --net");
	if (!kvm_present())
		return; /* what follows is refused in create(), after /dev/kvm */
	/* descriptors that carry no frames */
	path_in_tmp(file, sizeof(file), "not-a-tap");
	make_disk(file, 4096);
	fd = open(file, O_RDWR);
	assert_true(fd >= 0);
	snprintf(opt, sizeof(opt), "fd=%d", fd);
	refused(ARGS("--net", opt), "not a tap descriptor");
	close(fd);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(opt, sizeof(opt), "fd=%d", sv[1]);
	refused(ARGS("--net", opt), "a stream socket");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_round_trip),
		cmocka_unit_test(test_errno_mode_with_mac),
		cmocka_unit_test(test_thread_filtered),
		cmocka_unit_test(test_tap_chosen_by_kernel),
		cmocka_unit_test(test_tap_fd_with_vnet_hdr),
		cmocka_unit_test(test_peer_on_socket_pair),
		cmocka_unit_test(test_demo_contained),
		cmocka_unit_test(test_hostile_guest),
		cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests_name("virtio_net", tests, make_tmpdir, remove_tmpdir);
}
