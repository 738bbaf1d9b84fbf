/* lastwords.h - what devices write when the process dies of a fault
 * (host->at_fault): a console's buffered lines, so that they come before
 * the fault report and are not lost with the process.  The platform's
 * fault handler calls mgh_last_words first. */
#ifndef MIRAGE_LASTWORDS_H
#define MIRAGE_LASTWORDS_H

/* Gives owner the hook cb(arg) (cb NULL: none).  0, or -ENOSPC when every
 * slot is taken.  Called from the loop only. */
int mgh_last_words_set(const void *owner, void (*cb)(void *arg), void *arg);
/* Calls every hook; async-signal-safe as far as the hooks are. */
void mgh_last_words(void);

#endif
