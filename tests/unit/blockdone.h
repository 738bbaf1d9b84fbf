/* blockdone.h - a block completion (mg_block_cb) for tests: counts its
 * calls and keeps the last error. */
#ifndef TESTS_BLOCKDONE_H
#define TESTS_BLOCKDONE_H

struct done {
	int calls, err;
};

static inline void on_done(void *arg, int err)
{
	struct done *d = arg;

	d->calls++;
	d->err = err;
}

#endif
