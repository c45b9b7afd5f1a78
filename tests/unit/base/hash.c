/* Unit tests for base/hash: gp_hex64's fixed 16 digits, and a seed changing the hash. */
#include "base/hash.h"

#include <string.h>

#include "tests/unit/test.h"

static void test_hex64_is_16_lowercase_digits(void)
{
    char out[17];
    CHECK_STR(gp_hex64(out, 0), "0000000000000000");
    CHECK_STR(gp_hex64(out, 0x1f), "000000000000001f");
    CHECK_STR(gp_hex64(out, 0xdeadbeef00c0ffeeull), "deadbeef00c0ffee");
    CHECK_STR(gp_hex64(out, UINT64_MAX), "ffffffffffffffff");
}

static void test_hash_depends_on_data_and_seed(void)
{
    CHECK(gp_hash64("abc", 3, 0) == gp_hash64("abc", 3, 0));
    CHECK(gp_hash64("abc", 3, 0) != gp_hash64("abd", 3, 0));
    CHECK(gp_hash64("abc", 3, 0) != gp_hash64("abc", 3, 1));
}

TEST_MAIN(test_hex64_is_16_lowercase_digits, test_hash_depends_on_data_and_seed)
