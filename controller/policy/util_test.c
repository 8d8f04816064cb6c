/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 vectors, the hash map, name tables and suggestions. */
#include "test_util.h"

#include "names.h"
#include "sha256.h"
#include "strmap.h"

static void hex(const uint8_t *d, char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sha(const char *msg, size_t reps, size_t chunk, const char *want)
{
	struct bw_sha256 c;
	uint8_t d[32];
	char h[65];
	size_t len = strlen(msg);

	bw_sha256_init(&c);
	for (size_t r = 0; r < reps; r++)
		for (size_t off = 0; off < len; off += chunk)
			bw_sha256_update(&c, msg + off, len - off < chunk ? len - off : chunk);
	bw_sha256_final(&c, d);
	hex(d, h);
	assert_string_equal(h, want);
}

static void sha_vectors(void)
{
	/* FIPS 180-4 examples. */
	sha("", 1, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha("abc", 1, 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	for (size_t chunk = 1; chunk < 70; chunk += 7)
		sha(two, 1, chunk,
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha("aaaaaaaaaa", 100000, 10,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Both compression paths: the portable one and, where the CPU has them,
 * the SHA extensions; and they agree on random input of every length. */
static void test_sha256(void **state)
{
	uint8_t buf[300], a[32], b[32];
	uint64_t seed = 88172645463325252ull;
	int accel = bw_sha256_accelerated(1);

	bw_sha256_accelerated(0);
	sha_vectors();
	if (!accel) {
		print_message("no SHA extensions on this CPU: portable path only\n");
		return;
	}
	bw_sha256_accelerated(1);
	sha_vectors();
	for (size_t len = 0; len < sizeof(buf); len++) {
		struct bw_sha256 c;

		for (size_t i = 0; i < len; i++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			buf[i] = (uint8_t)seed;
		}
		bw_sha256_accelerated(0);
		bw_sha256_init(&c);
		bw_sha256_update(&c, buf, len);
		bw_sha256_final(&c, a);
		bw_sha256_accelerated(1);
		bw_sha256_init(&c);
		bw_sha256_update(&c, buf, len);
		bw_sha256_final(&c, b);
		assert_memory_equal(a, b, 32);
	}
}

static void test_strmap(void **state)
{
	struct bw_strmap m;
	char key[32];

	bw_strmap_init(&m);
	for (long i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		assert_int_equal(bw_strmap_put(&m, key, (void *)(i + 1)), 0);
	}
	for (long i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof(key), "k%ld", i);
		assert_ptr_equal(bw_strmap_del(&m, key), (void *)(i + 1));
	}
	assert_int_equal(m.len, 2500);
	for (long i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		assert_ptr_equal(bw_strmap_get(&m, key), i % 2 ? (void *)(i + 1) : NULL);
	}
	/* Churn through tombstones must not fill the table. */
	for (long i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "t%ld", i);
		assert_int_equal(bw_strmap_put(&m, key, (void *)1), 0);
		assert_non_null(bw_strmap_del(&m, key));
	}
	size_t n = 0;
	const char *k;
	for (size_t i = 0; bw_strmap_next(&m, &i, &k, NULL);)
		n++;
	assert_int_equal(n, 2500);
	assert_true(m.cap <= 8192);
	bw_strmap_fini(&m);
}

static void test_names(void **state)
{
	assert_int_equal(bw_cap_number("CAP_SYS_PTRACE"), 19);
	assert_int_equal(bw_cap_number("sys_ptrace"), 19);
	assert_int_equal(bw_cap_number("Cap_Sys_Ptrace"), 19);
	assert_int_equal(bw_cap_number("ptrace"), -1);
	assert_string_equal(bw_cap_name(40), "CAP_CHECKPOINT_RESTORE");
	assert_null(bw_cap_name(41));
	assert_int_equal(bw_syscall_number("openat"), 257);
	assert_int_equal(bw_syscall_number("SYS_OPENAT"), 257);
	assert_int_equal(bw_syscall_number("execveat"), 322);
	assert_int_equal(bw_syscall_number("nosuch"), -1);
	assert_string_equal(bw_syscall_name(59), "execve");
	assert_non_null(bw_protocol_lookup("ICMPv6"));
	assert_null(bw_protocol_lookup("quic"));

	static const char *const c[] = {"matchPaths", "matchDirectories", "matchPatterns"};
	assert_string_equal(bw_suggest("matchpath", c, 3), "matchPaths");
	assert_string_equal(bw_suggest("matchDirectory", c, 3), "matchDirectories");
	assert_null(bw_suggest("selector", c, 3));
}

static void test_kind_names(void **state)
{
	assert_int_equal(bw_policy_kind_parse("KubeArmorPolicy"), BW_KIND_POLICY);
	assert_int_equal(bw_policy_kind_parse("ksp"), BW_KIND_POLICY);
	assert_int_equal(bw_policy_kind_parse("CSP"), BW_KIND_CLUSTER_POLICY);
	assert_int_equal(bw_policy_kind_parse("hostpolicies"), BW_KIND_HOST_POLICY);
	assert_int_equal(bw_policy_kind_parse("pod"), 0);
	assert_string_equal(bw_policy_kind_name(BW_KIND_HOST_POLICY), "KubeArmorHostPolicy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_strmap),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
