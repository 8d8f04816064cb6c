/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the policy library's cmocka tests. */
#ifndef BW_POLICY_TEST_UTIL_H
#define BW_POLICY_TEST_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_int.h"

/* Parses text that must be valid and hold exactly one policy. */
static inline struct bw_policy *parse_one(const char *text)
{
	struct bw_diags *d = NULL;
	struct bw_policy **v = NULL;
	size_t n = 0;

	assert_int_equal(bw_diags_new(&d), 0);
	int rc = bw_policy_parse(text, strlen(text), "t.yaml", &v, &n, d);
	if (rc) {
		char *s = bw_diags_format(d);
		fprintf(stderr, "unexpected errors:\n%s", s ? s : "");
		free(s);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	struct bw_policy *p = v[0];
	free(v);
	bw_diags_free(d);
	return p;
}

/* Parses text that must be invalid; the formatted errors must contain want. */
static inline void parse_fails(const char *text, const char *want)
{
	struct bw_diags *d = NULL;
	struct bw_policy **v = NULL;
	size_t n = 0;

	assert_int_equal(bw_diags_new(&d), 0);
	assert_int_equal(bw_policy_parse(text, strlen(text), "t.yaml", &v, &n, d), -EINVAL);
	char *s = bw_diags_format(d);
	const char *txt = s ? s : "";
	if (!strstr(txt, want))
		fprintf(stderr, "wanted '%s' in:\n%s", want, txt);
	assert_non_null(strstr(txt, want));
	free(s);
	bw_diags_free(d);
}

#endif
