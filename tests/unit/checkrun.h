/* checkrun.h - the main every Check suite shares. */
#ifndef MIRAGE_CHECKRUN_H
#define MIRAGE_CHECKRUN_H

#include <check.h>

/* Runs the suite, prints Check's summary; 0 when every test passed. */
int check_run(Suite *s);

#endif
