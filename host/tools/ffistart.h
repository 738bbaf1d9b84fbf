/* ffistart.h - mgh_start_fn for hosts that load plugins at run time. */
#ifndef MIRAGE_FFISTART_H
#define MIRAGE_FFISTART_H

#include "runtime/runtime.h"

int mgt_ffi_start(const struct mg_plan_device *dev, struct mg_device *self,
		  struct mg_device *const *deps);

#endif
