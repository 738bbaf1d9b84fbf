/* fuzzcat.h - the fake plugin catalog fuzz_config resolves against. */
#ifndef MIRAGE_FUZZCAT_H
#define MIRAGE_FUZZCAT_H

#include "resolve/resolve.h"

extern struct mgr_catalog fuzz_catalog;

#endif
