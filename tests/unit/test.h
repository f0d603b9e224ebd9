/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A very small test harness: each test binary registers TEST() functions,
 * runs them all and prints TAP lines ("ok N name" / "not ok N name").
 * tests/run.sh aggregates the lines of every binary and script and prints
 * the final "N passed, N failed, N skipped" line.  A binary that registers
 * more than TEST_MAX tests does not run a subset: it prints one "not ok"
 * line saying so and exits 1.
 *
 * CHECK() records a failure and continues; REQUIRE() also returns from the
 * test.  CHECK_EQ_U64() prints both values.  CHECK_NO_ERR() prints the
 * hypmem error message and destroys the error.
 */
#ifndef HYPMEM_TEST_H
#define HYPMEM_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_MAX 256
extern struct test_case test_cases[TEST_MAX];
extern int test_nr_cases;
extern int test_nr_registered; /* may exceed TEST_MAX: then nothing runs */
extern int test_failed_checks;

#define TEST(name)                                                             \
	static void test_##name(void);                                         \
	__attribute__((constructor)) static void test_register_##name(void)    \
	{                                                                      \
		if (test_nr_registered++ < TEST_MAX)                           \
			test_cases[test_nr_cases++] =                          \
				(struct test_case){ #name, test_##name };      \
	}                                                                      \
	static void test_##name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			test_failed_checks++;                                  \
			printf("#   %s:%d: CHECK(%s) failed\n", __FILE__,      \
			       __LINE__, #cond);                               \
		}                                                              \
	} while (0)

#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			test_failed_checks++;                                  \
			printf("#   %s:%d: REQUIRE(%s) failed\n", __FILE__,    \
			       __LINE__, #cond);                               \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                     \
	do {                                                                   \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);               \
		if (_a != _b) {                                                \
			test_failed_checks++;                                  \
			printf("#   %s:%d: %s == %s failed: 0x%" PRIx64        \
			       " != 0x%" PRIx64 "\n",                          \
			       __FILE__, __LINE__, #a, #b, _a, _b);            \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b)) {                            \
			test_failed_checks++;                                  \
			printf("#   %s:%d: \"%s\" == \"%s\" failed\n",         \
			       __FILE__, __LINE__, _a ? _a : "(null)",         \
			       _b ? _b : "(null)");                            \
		}                                                              \
	} while (0)

/* For struct hypmem_error *: fails, prints and destroys a non-NULL error. */
#define CHECK_NO_ERR(expr)                                                     \
	({                                                                     \
		struct hypmem_error *_e = (expr);                              \
		if (_e) {                                                      \
			test_failed_checks++;                                  \
			printf("#   %s:%d: %s: error: %s\n", __FILE__,         \
			       __LINE__, #expr, _e->message);                  \
			hypmem_error_destroy(_e);                              \
		}                                                              \
		_e == NULL;                                                    \
	})

/* Define once per test binary (in exactly one .c file) with TEST_MAIN. */
#define TEST_MAIN                                                              \
	struct test_case test_cases[TEST_MAX];                                 \
	int test_nr_cases;                                                     \
	int test_nr_registered;                                                \
	int test_failed_checks;                                                \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		int failed = 0;                                                \
		if (test_nr_registered > TEST_MAX) {                           \
			printf("1..1\nnot ok 1 %s: %d tests registered, "      \
			       "TEST_MAX is %d (raise it in test.h)\n",        \
			       argv[0], test_nr_registered, TEST_MAX);         \
			return 1;                                              \
		}                                                              \
		printf("1..%d\n", test_nr_cases);                              \
		for (int i = 0; i < test_nr_cases; i++) {                      \
			int before = test_failed_checks;                       \
			if (argc > 1 && !strstr(test_cases[i].name, argv[1]))  \
				continue;                                      \
			test_cases[i].fn();                                    \
			int bad = test_failed_checks != before;                \
			failed += bad;                                         \
			printf("%sok %d %s\n", bad ? "not " : "", i + 1,       \
			       test_cases[i].name);                            \
			fflush(stdout);                                        \
		}                                                              \
		return failed ? 1 : 0;                                         \
	}

#endif /* HYPMEM_TEST_H */
