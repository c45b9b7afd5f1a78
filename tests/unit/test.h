/* tests/unit/test.h — a minimal test harness: each unit test file is its own
 * executable (ctest runs them); CHECK records a failure and goes on, so one run
 * shows every broken expectation. main() is TEST_MAIN(test_a, test_b, ...). */
#ifndef GP_TEST_H
#define GP_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        test_checks++;                                                                    \
        if (!(cond)) {                                                                    \
            test_failures++;                                                              \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, __func__, \
                    #cond);                                                               \
        }                                                                                 \
    } while (0)

#define CHECK_STR(got, want)                                                                  \
    do {                                                                                      \
        const char *g_ = (got), *w_ = (want);                                                 \
        test_checks++;                                                                        \
        if (g_ == NULL || strcmp(g_, w_) != 0) {                                              \
            test_failures++;                                                                  \
            fprintf(stderr, "%s:%d: %s: got  %s\n%*swant %s\n", __FILE__, __LINE__, __func__, \
                    g_ ? g_ : "(null)", (int)(strlen(__FILE__) + 12), "", w_);                 \
        }                                                                                     \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        test_checks++;                                                                             \
        if (g_ != w_) {                                                                            \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", __FILE__, __LINE__, __func__, g_, w_); \
        }                                                                                          \
    } while (0)

typedef void (*test_fn)(void);

static inline int test_run(const char *file, test_fn *tests, int n)
{
    for (int i = 0; i < n; i++)
        tests[i]();
    fprintf(stderr, "%s: %d checks, %d failed\n", file, test_checks, test_failures);
    return test_failures == 0 ? 0 : 1;
}

#define TEST_MAIN(...)                                                          \
    int main(void)                                                              \
    {                                                                           \
        test_fn tests_[] = {__VA_ARGS__};                                       \
        return test_run(__FILE__, tests_, (int)(sizeof tests_ / sizeof *tests_)); \
    }

#endif
