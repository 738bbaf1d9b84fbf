/* flow.h - module type "flow": a reliable, ordered, bidirectional byte
 * stream (a TCP connection, a TLS session).  Non-blocking with explicit
 * backpressure: the reader asks for data, the writer is told when it may go
 * on, so nobody buffers without bound. */
#ifndef MIRAGE_FLOW_H
#define MIRAGE_FLOW_H

#include "mirage.h"

#define MG_FLOW_NAME "flow"
#define MG_FLOW_MAJOR 1
/* Before ABI 1.2 this named the header's newest minor; a plugin now states
 * the minor it implements or needs. */
#define MG_FLOW_TYPE _Pragma("GCC error \"MG_FLOW_TYPE is gone: write MG_TYPE(FLOW, MINOR), the minor implemented or needed (abi/README.md, Versions)\"")

struct mg_flow;

struct mg_flow_handler {
	/* len bytes arrived (valid during the call).  len == 0: the peer
	 * shut down its sending side. */
	void (*on_data)(void *arg, const void *data, size_t len);
	/* write accepted less than asked: space is back, write again. */
	void (*on_writable)(void *arg);
	/* The flow failed (-ECONNRESET, -ETIMEDOUT, ...); only close remains. */
	void (*on_error)(void *arg, int err);
};

struct mg_flow_ops {
	struct mg_ops_hdr hdr;
	/* Sets the callbacks and their argument.  A new flow does not read
	 * until read_start; callbacks may call any op, close included. */
	void (*set_handler)(struct mg_flow *f, const struct mg_flow_handler *h,
			    void *arg);
	/* Starts or stops delivering on_data (stopping is the backpressure
	 * a slow consumer applies). */
	int (*read_start)(struct mg_flow *f);
	int (*read_stop)(struct mg_flow *f);
	/* Queues up to len bytes (copied or sent before it returns); returns
	 * the count taken (0..len): when less than len, on_writable follows
	 * once space is back.  -EPIPE after shutdown, -ECONNRESET. */
	long (*write)(struct mg_flow *f, const void *buf, size_t len);
	/* Bytes accepted by write but not yet sent. */
	size_t (*pending)(struct mg_flow *f);
	/* Ends the sending side once pending bytes are sent. */
	int (*shutdown)(struct mg_flow *f);
	/* The peer's address as text ("127.0.0.1", "::1"); owned by the flow,
	 * valid until close.  "" when unknown. */
	const char *(*peer)(struct mg_flow *f);
	/* Releases the flow; no callback runs afterwards. */
	void (*close)(struct mg_flow *f);

	/* ---- 1.1 ---- */
	/* write of n spans in order, without copying them first (one writev;
	 * a file span by sendfile): returns the count of bytes taken, as
	 * write does, and keeps no reference to the spans once it returns.
	 * -EIO when a file span's file ends before its len (truncated).  A
	 * flow that cannot send file spans leaves writev unset. */
	long (*writev)(struct mg_flow *f, const struct mg_span *spans, unsigned n);

	/* ---- 1.2 ---- */
	/* What is written from now on is the flow's last: the stack may hold
	 * a short tail back to send it with the end of the stream (a short
	 * last answer and its close in one segment).  The caller ends the
	 * flow (close, close_if_read or shutdown) once its writes are taken,
	 * which sends what was held. */
	void (*last_writes)(struct mg_flow *f);
	/* close, when every byte the peer sent has been read (so the close
	 * cannot turn into a reset that loses what was written): returns 0
	 * and the flow is released, what was written still goes out.
	 * -EBUSY when input waits unread; the flow stays as it was. */
	int (*close_if_read)(struct mg_flow *f);
};
MG_OPS_PIN(struct mg_flow_ops, close, 8); /* 1.0 */
MG_OPS_PIN(struct mg_flow_ops, writev, 9); /* 1.1 */
MG_OPS_PIN(struct mg_flow_ops, close_if_read, 11); /* 1.2 */

struct mg_flow {
	const struct mg_flow_ops *ops;
};

#endif
