// SPDX-License-Identifier: MIT
/*
 * epoll_loop: an event loop that waits on the PEL context fd beside a socket.
 *
 * One end of a UNIX socketpair plays a peer that sends messages; the loop
 * waits with epoll_wait() on the other end and on lpel_fd():
 *
 *  - socket readable: receive a message into a free slot and submit a
 *    COPY_CRC32C of it to PEL (copy to the slot's output buffer, CRC-32C of
 *    the message in the same pass);
 *  - PEL fd readable (a CQE is ready): reap every ready CQE, check the copy
 *    and the CRC against the message, free the slot, and have the peer send
 *    the next message.
 *
 * The loop never blocks anywhere but in epoll_wait(), and only level-
 * triggered readiness is used: after reaping every CQE the fd is quiet until
 * the next one.  Exits 1 on any mismatch, failed op or a 10 s stall.
 *
 *   epoll_loop [MESSAGES]		(default 2000)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lpel.h>

#define WINDOW		16	/* messages sent and not yet verified */
#define MAX_MSG		4096
#define STALL_MS	10000
#define CRC32C_POLY	0x82f63b78U

struct slot {
	unsigned char in[MAX_MSG];	/* as received from the socket */
	unsigned char out[MAX_MSG];	/* PEL copies in[] here */
	size_t len;
	unsigned int msg;
};

static struct slot slots[WINDOW];
static unsigned int free_slots[WINDOW], nr_free;

static uint32_t crc32c_sw(const unsigned char *p, size_t len)
{
	uint32_t crc = ~0U;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ CRC32C_POLY : crc >> 1;
	}
	return ~crc;
}

/* Message n: 1..MAX_MSG bytes, its content a function of n. */
static size_t make_msg(unsigned int n, unsigned char *buf)
{
	uint32_t x = n * 2654435761U + 1;
	size_t i, len = 1 + (x >> 7) % MAX_MSG;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	return len;
}

/* The peer: send message n on its end of the socketpair. */
static int peer_send(int fd, unsigned int n)
{
	unsigned char buf[MAX_MSG];
	size_t len = make_msg(n, buf);

	/* Never blocks: WINDOW messages fit the socket buffer. */
	if (send(fd, buf, len, MSG_DONTWAIT) != (ssize_t)len) {
		perror("epoll_loop: send");
		return -1;
	}
	return 0;
}

/* Socket readable: take one message, hand it to PEL. */
static int on_socket(int fd, struct lpel_ring *ring, unsigned int *received)
{
	struct pel_sqe *sqe;
	struct slot *s;
	unsigned int si;
	ssize_t n;

	if (!nr_free) {
		fprintf(stderr, "epoll_loop: more messages than slots\n");
		return -1;
	}
	si = free_slots[--nr_free];
	s = &slots[si];
	n = recv(fd, s->in, sizeof(s->in), MSG_DONTWAIT);
	if (n <= 0) {
		free_slots[nr_free++] = si;
		if (n < 0 && errno == EAGAIN)
			return 0;
		fprintf(stderr, "epoll_loop: recv: %s\n",
			n ? strerror(errno) : "peer closed");
		return -1;
	}
	s->len = (size_t)n;
	s->msg = (*received)++;
	memset(s->out, 0, sizeof(s->out));

	sqe = lpel_get_sqe(ring);
	if (!sqe) {
		fprintf(stderr, "epoll_loop: SQ full\n");
		return -1;
	}
	lpel_prep_copy_crc32c(sqe, s->out, s->in, s->len, 0);
	lpel_sqe_set_data(sqe, si);
	n = lpel_submit(ring);
	if (n < 0) {
		fprintf(stderr, "epoll_loop: lpel_submit: %s\n", strerror((int)-n));
		return -1;
	}
	return 0;
}

/* PEL fd readable: reap and check every ready CQE. */
static int on_pel(struct lpel_ring *ring, int peer, unsigned int *verified,
		  unsigned int *sent, unsigned int total)
{
	struct pel_cqe *cqe;
	int bad = 0;

	while (lpel_peek_cqe(ring, &cqe) == 0) {
		unsigned char want[MAX_MSG];
		struct slot *s;
		size_t len;

		if (cqe->user_data >= WINDOW) {
			fprintf(stderr, "epoll_loop: stray CQE %" PRIu64 "\n",
				(uint64_t)cqe->user_data);
			return -1;
		}
		s = &slots[cqe->user_data];
		len = make_msg(s->msg, want);
		if (cqe->res != (int)s->len || s->len != len ||
		    memcmp(s->out, want, len) ||
		    (uint32_t)cqe->result != crc32c_sw(want, len)) {
			fprintf(stderr,
				"epoll_loop: message %u: res %d len %zu/%zu crc 0x%08" PRIx32 "/0x%08" PRIx32 " %s\n",
				s->msg, cqe->res, s->len, len,
				(uint32_t)cqe->result, crc32c_sw(want, len),
				memcmp(s->out, want, len < s->len ? len : s->len) ?
				"bytes differ" : "");
			bad++;
		}
		free_slots[nr_free++] = (unsigned int)cqe->user_data;
		lpel_cqe_seen(ring, cqe);
		(*verified)++;
		if (*sent < total && peer_send(peer, (*sent)++))
			return -1;
	}
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int total = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000;
	unsigned int sent = 0, received = 0, verified = 0;
	unsigned long sock_events = 0, pel_events = 0, loops = 0;
	struct epoll_event ev, events[2];
	struct lpel_ring ring;
	int sv[2], ep, ret, i;

	ret = lpel_init(&ring, 64);
	if (ret) {
		fprintf(stderr, "epoll_loop: lpel_init: %s%s\n", strerror(-ret),
			ret == -ENODEV ? " (is pel.ko loaded?)" : "");
		return 1;
	}
	if (!(ring.features & PEL_FEAT_WAIT) ||
	    !(ring.features & PEL_FEAT_OP_CRC32C)) {
		fprintf(stderr, "epoll_loop: the module lacks poll or CRC32C\n");
		return 1;
	}
	/* SEQPACKET keeps message boundaries; WINDOW messages fit its buffer. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("epoll_loop: socketpair");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("epoll_loop: epoll_create1");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = sv[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) < 0) {
		perror("epoll_loop: epoll_ctl socket");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lpel_fd(&ring);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lpel_fd(&ring), &ev) < 0) {
		perror("epoll_loop: epoll_ctl PEL fd");
		return 1;
	}

	for (i = 0; i < WINDOW; i++)
		free_slots[nr_free++] = (unsigned int)i;
	while (sent < total && sent < WINDOW)
		if (peer_send(sv[1], sent++))
			return 1;

	while (verified < total) {
		int n = epoll_wait(ep, events, 2, STALL_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "epoll_loop: %s after %u of %u messages\n",
				n ? strerror(errno) : "stalled", verified, total);
			return 1;
		}
		loops++;
		for (i = 0; i < n; i++) {
			if (events[i].data.fd == sv[0]) {
				sock_events++;
				ret = on_socket(sv[0], &ring, &received);
			} else {
				pel_events++;
				ret = on_pel(&ring, sv[1], &verified, &sent,
					     total);
			}
			if (ret)
				return 1;
		}
	}

	printf("epoll_loop: %u messages received on the socket, copied and CRC'd by PEL, all verified\n",
	       verified);
	printf("epoll_loop: %lu epoll wake-ups: %lu socket readable, %lu PEL fd readable\n",
	       loops, sock_events, pel_events);
	if (!sock_events || !pel_events || received != total) {
		fprintf(stderr, "epoll_loop: FAILED: a readiness source never fired\n");
		return 1;
	}
	close(ep);
	close(sv[0]);
	close(sv[1]);
	lpel_exit(&ring);
	return 0;
}
