/* ffistart.c - calls a job's start(self, dep1, ...) through libffi: the
 * arity comes from the descriptor's slots, known only at run time. */
#include <ffi.h>
#include <stdlib.h>

#include "ffistart.h"

int mgt_ffi_start(const struct mg_plan_device *dev, struct mg_device *self,
		  struct mg_device *const *deps)
{
	unsigned nargs = dev->plugin->nslots + 1;
	ffi_type **types = calloc(nargs, sizeof *types);
	void **values = calloc(nargs, sizeof *values);
	ffi_cif cif;
	ffi_arg ret = 0;
	int rc = -ENOMEM;

	if (types && values) {
		types[0] = &ffi_type_pointer;
		values[0] = &self;
		for (unsigned i = 1; i < nargs; i++) {
			types[i] = &ffi_type_pointer;
			values[i] = (void *)&deps[i - 1];
		}
		rc = -EINVAL;
		if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, nargs, &ffi_type_sint, types) == FFI_OK) {
			ffi_call(&cif, dev->plugin->start, &ret, values);
			rc = (int)(ffi_sarg)ret;
		}
	}
	free(types);
	free(values);
	return rc;
}
