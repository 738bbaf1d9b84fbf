/* fuzzcat.h - the fake plugin catalog fuzz_config resolves against. */
#ifndef MIRAGE_FUZZCAT_H
#define MIRAGE_FUZZCAT_H

#include "arraycat.h"

/* The catalog, over the fake descriptors. */
void fuzzcat_init(struct arraycat *c);

#endif
