/* SPDX-License-Identifier: Apache-2.0 */
/* Growing arrays (bw_array.h). */
#include "bw_array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int bw_array_grow(void *pv, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 16;
	void *v, *g;

	if (need <= *cap)
		return 0;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		nc *= 2;
	}
	/* through memcpy: pv may point at any object pointer type */
	memcpy(&v, pv, sizeof(v));
	g = realloc(v, nc * elem);
	if (!g)
		return -ENOMEM;
	memcpy(pv, &g, sizeof(g));
	*cap = nc;
	return 0;
}
