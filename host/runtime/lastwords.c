/* lastwords.c - the hooks of host->at_fault, in a fixed table that a
 * signal handler may read while the loop was changing it: a slot's cb is
 * published last and withdrawn first. */
#include <stddef.h>
#include <errno.h>

#include "lastwords.h"

#define SLOTS 64

static struct slot {
	const void *owner;
	void *arg;
	void (*cb)(void *arg);
} slots[SLOTS];

int mgh_last_words_set(const void *owner, void (*cb)(void *arg), void *arg)
{
	struct slot *free_slot = NULL;

	for (struct slot *s = slots; s < slots + SLOTS; s++) {
		if (s->owner == owner) {
			__atomic_store_n(&s->cb, NULL, __ATOMIC_SEQ_CST);
			s->owner = NULL;
		}
		if (!s->owner && !free_slot)
			free_slot = s;
	}
	if (!cb)
		return 0;
	if (!free_slot)
		return -ENOSPC;
	free_slot->owner = owner;
	free_slot->arg = arg;
	__atomic_store_n(&free_slot->cb, cb, __ATOMIC_SEQ_CST);
	return 0;
}

void mgh_last_words(void)
{
	for (struct slot *s = slots; s < slots + SLOTS; s++) {
		void (*cb)(void *) = __atomic_load_n(&s->cb, __ATOMIC_SEQ_CST);

		if (cb)
			cb(s->arg);
	}
}
