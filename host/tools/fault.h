/* fault.h - the last words of a mirage-host that a fault kills: a plugin's
 * bug at request time cannot be contained in one process, but it is
 * reported (signal, the plugin whose code faulted, the device whose
 * callback ran, a backtrace) before the host exits with MGT_EXIT_FAULT. */
#ifndef MIRAGE_FAULT_H
#define MIRAGE_FAULT_H

#define MGT_EXIT_FAULT 70 /* documented in README.md */

/* Installs the handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT
 * for the whole run (a guarded connect puts its own in place meanwhile). */
void mgt_fault_install(void);
/* Records where the code of a dlopen'ed plugin lies, so that a fault's
 * address can be put down to it; recording one twice does nothing. */
void mgt_fault_note_plugin(void *handle, const char *name);
/* An empty folder to remove on the way out (the catalog's for copies). */
void mgt_fault_note_folder(const char *path);

#endif
