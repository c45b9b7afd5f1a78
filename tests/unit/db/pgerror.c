/* Unit tests for db/pgerror: SQLSTATE → error kind, retryable, shown. */
#include "db/pgerror.h"
#include "tests/unit/test.h"

/* Hasura's classes: a value the caller sent (22), a constraint (23), a right (42501);
 * exact codes win over their class, anything unknown is a plain database error. */
static void test_kinds(void)
{
    CHECK_INT(gp_pgerror_kind("22P02"), GP_E_DATA);
    CHECK_INT(gp_pgerror_kind("2201W"), GP_E_DATA);
    CHECK_INT(gp_pgerror_kind("22012"), GP_E_DATA);
    CHECK_INT(gp_pgerror_kind("23505"), GP_E_CONSTRAINT);
    CHECK_INT(gp_pgerror_kind("23503"), GP_E_CONSTRAINT);
    CHECK_INT(gp_pgerror_kind("23514"), GP_E_CONSTRAINT);
    CHECK_INT(gp_pgerror_kind("42501"), GP_E_PERMISSION);
    CHECK_INT(gp_pgerror_kind(GP_SQLSTATE_NO_ROW), GP_E_NOT_SUPPORTED); /* graphpost's own */
    CHECK_INT(gp_pgerror_kind("42P10"), GP_E_DATABASE);
    CHECK_INT(gp_pgerror_kind("42703"), GP_E_DATABASE);
    CHECK_INT(gp_pgerror_kind("57014"), GP_E_DATABASE);
    CHECK_INT(gp_pgerror_kind("57P01"), GP_E_UNAVAILABLE);
    CHECK_INT(gp_pgerror_kind("08006"), GP_E_UNAVAILABLE);
    CHECK_INT(gp_pgerror_kind(NULL), GP_E_DATABASE);
}

static void test_shown_and_retryable(void)
{
    CHECK(gp_pgerror_shown("23505"));
    CHECK(gp_pgerror_shown("22P02"));
    CHECK(gp_pgerror_shown("42501"));
    CHECK(gp_pgerror_shown(GP_SQLSTATE_NO_ROW));
    CHECK(!gp_pgerror_shown("42703")); /* names a column: internals */
    CHECK(!gp_pgerror_shown(NULL));
    CHECK(gp_pgerror_retryable("57P01"));
    CHECK(!gp_pgerror_retryable("23505"));
    CHECK(gp_pgerror_retryable("40001")); /* reads only: the pool never sends a write twice */
    CHECK(!gp_pgerror_retryable(NULL));
}

TEST_MAIN(test_kinds, test_shown_and_retryable)
