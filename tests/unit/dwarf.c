// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the DWARF layer (include/hypmem/dwarf.h) and of the layout
 * JSON built on it (hypmem_dwarf_struct_json()).
 *
 * The test binary describes itself: the fixture types and variables below
 * are compiled into it with debug info, and the tests open /proc/self/exe.
 * Every expected value comes from the compiler that built this file:
 * sizeof, offsetof, enum constants, the addresses of the variables (minus
 * the PIE load bias, measured on one data symbol), and bitfield positions
 * found by setting a bitfield to all ones in a zeroed object and looking
 * for the set bits in its raw bytes (LSB numbering: bit 8*byte + bit).
 *
 * A second test compiles a small program at run time with -gdwarf-4 (the
 * DW_AT_bit_offset bitfield form, counted from the storage unit's MSB) and
 * a compile unit under a ".../hyp/nvhe/" path, to check the bitfield
 * conversion, the hyp/non-hyp split of the index and the "__kvm_nvhe_"
 * symbol fallback.  That program prints its own variable addresses
 * (-no-pie: link-time addresses) and shares its types with this file
 * through one macro, so its expected values too come from a compiler.  It
 * is skipped (with a note) when no C compiler is installed; so is the
 * stripped-binary test without objcopy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hypmem/dwarf.h"
#include "hypmem/error.h"
#include "hypmem/report.h"
#include "hypmem/render.h"
#include "test.h"

int main(int argc, char **argv);

/* --- fixtures: types and variables this binary's DWARF describes --- */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

enum fx_state {
	FX_STATE_NEG = -1000000,
	FX_STATE_ZERO = 0,
	FX_STATE_SMALL = 7,
	FX_STATE_BIG = 0x123456789abcdefLL,
};

/* Values above LLONG_MAX: an unsigned 64-bit enum (a GNU C extension). */
enum fx_flags {
	FX_FLAG_LOW = 1,
	FX_FLAG_TOP = 0xfedcba9876543210ULL,
};

/* A hole after @tag and tail padding after @small. */
struct fx_inner {
	u8 tag;
	u64 value;
	u16 small;
};

struct fx_leaf {
	u16 x;
	u32 leaf;
};

struct fx_mid {
	u8 pad;
	struct fx_leaf mid;
};

struct fx_outer {
	char c;
	struct fx_inner inner;
	struct {
		u32 anon_a;
		union {
			u16 anon_u16;
			u64 anon_u64;
		};
		u32 flag_lo : 3;
		u32 flag_hi : 11;
	};
	union {
		void *anon_ptr;
		unsigned long anon_word;
	};
	struct fx_inner ring[3];
	int grid[3][4];
	int four[4];
	struct fx_mid deep;
	u16 half;
	struct fx_outer *next;
	int (*callback)(void *arg, int n);
	enum fx_state state;
	enum fx_flags flags;
};

union fx_word {
	u64 raw;
	struct {
		u32 lo;
		u32 hi;
	};
	u8 bytes[8];
};

/* Bitfields of several widths; @wide is a u64 bitfield at an odd bit. */
struct fx_bits {
	u8 b0 : 1;
	u8 b1 : 3;
	u16 cross : 7;
	u64 wide : 45;
	u8 after;
	u32 mid : 13;
	signed int neg : 5;
	u64 tail : 33;
	u8 last : 1;
};

typedef const volatile struct fx_inner fx_cv_inner_t;
typedef fx_cv_inner_t fx_cv2_t;
typedef fx_cv2_t fx_cv3_t;

/* Declared, never defined: DWARF has only a declaration. */
struct fx_opaque;

static struct fx_outer fx_static_outer __attribute__((used));
struct fx_outer fx_global_outer __attribute__((used));
struct fx_inner fx_inner_var __attribute__((used));
fx_cv3_t fx_cv_var __attribute__((used));
struct fx_bits fx_bits_var __attribute__((used));
union fx_word fx_word_var __attribute__((used));
struct fx_opaque *fx_opaque_ptr __attribute__((used));
int fx_int_array[4] __attribute__((used));

/* Keeps every fixture referenced from code, too. */
static const void *const fx_all[] __attribute__((used)) = {
    &fx_static_outer, &fx_global_outer, (const void *)&fx_cv_var,
    &fx_bits_var,     &fx_word_var,	&fx_opaque_ptr,
    &fx_int_array,    &fx_inner_var,
};

/* --- helpers --- */

static const char *self_path = "/proc/self/exe";

static struct hypmem_dwarf *open_self(void)
{
	struct hypmem_dwarf *dw = NULL;

	if (!CHECK_NO_ERR(hypmem_dwarf_open(self_path, &dw)))
		return NULL;
	return dw;
}

static void check_contains(const char *haystack, const char *needle, int line)
{
	if (!haystack || !strstr(haystack, needle)) {
		test_failed_checks++;
		printf("#   %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, line,
		       haystack ? haystack : "(null)", needle);
	}
}
#define CHECK_CONTAINS(h, n) check_contains((h), (n), __LINE__)

/* The call fails with @code and a message naming each of @needles. */
static void check_err(struct hypmem_error *err, enum hypmem_error_code code, int line,
		      const char *n1, const char *n2)
{
	if (!err) {
		test_failed_checks++;
		printf("#   %s:%d: expected error %s, got success\n", __FILE__, line,
		       hypmem_error_name(code));
		return;
	}
	if (err->code != code) {
		test_failed_checks++;
		printf("#   %s:%d: expected error %s, got %s: %s\n", __FILE__, line,
		       hypmem_error_name(code), hypmem_error_name(err->code), err->message);
	}
	if (n1)
		check_contains(err->message, n1, line);
	if (n2)
		check_contains(err->message, n2, line);
	hypmem_error_destroy(err);
}
#define CHECK_ERR(expr, code, n1, n2) check_err((expr), (code), __LINE__, (n1), (n2))

/* First set bit and number of set bits in @raw; checks they are contiguous. */
static void set_bits(const unsigned char *raw, size_t size, uint64_t *first, uint64_t *count)
{
	uint64_t last = 0;

	*first = UINT64_MAX;
	*count = 0;
	for (size_t i = 0; i < size * 8; i++) {
		if (!(raw[i / 8] & (1u << (i % 8))))
			continue;
		if (*first == UINT64_MAX)
			*first = i;
		last = i;
		(*count)++;
	}
	CHECK(*count && last - *first + 1 == *count);
}

/* Where the compiler puts bitfield @field of @type: first bit and width. */
#define BITFIELD_POS(ctype, field, first, count)                                                   \
	do {                                                                                       \
		union {                                                                            \
			ctype s;                                                                   \
			unsigned char raw[sizeof(ctype)];                                          \
		} _u;                                                                              \
		volatile uint64_t _ones = ~0ULL;                                                   \
		memset(&_u, 0, sizeof(_u));                                                        \
		_u.s.field = _ones;                                                                \
		set_bits(_u.raw, sizeof(_u.raw), (first), (count));                                \
	} while (0)

/* DWARF's view of bitfield @path in @t against the compiler's. */
#define CHECK_BITFIELD(dw, t, ctype, field, path)                                                  \
	do {                                                                                       \
		struct hypmem_member _m;                                                           \
		uint64_t _first, _count;                                                           \
		BITFIELD_POS(ctype, field, &_first, &_count);                                      \
		if (CHECK_NO_ERR(hypmem_dwarf_member((dw), (t), (path), &_m))) {                   \
			CHECK_EQ_U64(_m.offset * 8 + _m.bit_offset, _first);                       \
			CHECK_EQ_U64(_m.bit_size, _count);                                         \
		}                                                                                  \
	} while (0)

#define CHECK_MEMBER_OFFSET(dw, t, ctype, path)                                                    \
	do {                                                                                       \
		struct hypmem_member _m;                                                           \
		if (CHECK_NO_ERR(hypmem_dwarf_member((dw), (t), #path, &_m))) {                    \
			CHECK_EQ_U64(_m.offset, offsetof(ctype, path));                            \
			CHECK_EQ_U64(_m.bit_size, 0);                                              \
			CHECK_EQ_U64(_m.type.size, sizeof(((ctype *)0)->path));                    \
		}                                                                                  \
	} while (0)

/* Write @len bytes to a new temporary file; returns its malloc()ed path. */
static char *temp_file(const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (asprintf(&path, "%s/hypmem-dwarf-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/*
 * Run @argv in @dir (NULL: here) with stdout to @out (NULL: /dev/null).
 * Returns the exit status, or -1 if it could not run or was killed.
 */
static int run(const char *dir, const char *out, char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || (dir && chdir(dir)))
			_exit(127);
		if (!out)
			dup2(fd, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static bool have_tool(const char *tool)
{
	char *argv[] = {(char *)tool, "--version", NULL};

	return run(NULL, NULL, argv) == 0;
}

/* --- opening --- */

TEST(open_self_and_path)
{
	struct hypmem_dwarf *dw = open_self();

	REQUIRE(dw);
	CHECK_STR(hypmem_dwarf_path(dw), self_path);
	CHECK(fx_all[0] == &fx_static_outer);
	hypmem_dwarf_destroy(dw);
	hypmem_dwarf_destroy(NULL);
}

TEST(open_errors)
{
	static const char text[] = "this is not an ELF file\n";
	struct hypmem_dwarf *dw = NULL;
	struct hypmem_error *err;
	char *path;

	err = hypmem_dwarf_open("/nonexistent/hypmem/vmlinux", &dw);
	REQUIRE(err);
	CHECK_EQ_U64(err->code, HYPMEM_ERROR_OS);
	CHECK_EQ_U64(err->errnum, ENOENT);
	CHECK_CONTAINS(err->message, "/nonexistent/hypmem/vmlinux");
	hypmem_error_destroy(err);

	path = temp_file(text, sizeof(text) - 1);
	REQUIRE(path);
	CHECK_ERR(hypmem_dwarf_open(path, &dw), HYPMEM_ERROR_ELF, path, NULL);
	unlink(path);
	free(path);

	path = temp_file("", 0);
	REQUIRE(path);
	CHECK_ERR(hypmem_dwarf_open(path, &dw), HYPMEM_ERROR_ELF, path, NULL);
	unlink(path);
	free(path);
}

TEST(open_stripped)
{
	struct hypmem_dwarf *dw = NULL;
	char *path = temp_file("", 0);

	REQUIRE(path);
	if (!have_tool("objcopy")) {
		printf("# skip: no objcopy\n");
	} else {
		char *argv[] = {"objcopy", "--strip-debug", "/proc/self/exe", path, NULL};

		CHECK_EQ_U64(run(NULL, NULL, argv), 0);
		CHECK_ERR(hypmem_dwarf_open(path, &dw), HYPMEM_ERROR_DWARF, "debug info", path);
	}
	unlink(path);
	free(path);
}

/* --- types --- */

TEST(find_type_kinds_and_sizes)
{
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t;

	REQUIRE(dw);
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_outer", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_STRUCT);
		CHECK_STR(t.name, "fx_outer");
		CHECK_EQ_U64(t.size, sizeof(struct fx_outer));
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_inner", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_STRUCT);
		CHECK_EQ_U64(t.size, sizeof(struct fx_inner));
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_bits", &t)))
		CHECK_EQ_U64(t.size, sizeof(struct fx_bits));
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "union fx_word", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_UNION);
		CHECK_STR(t.name, "fx_word");
		CHECK_EQ_U64(t.size, sizeof(union fx_word));
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "enum fx_state", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_ENUM);
		CHECK_EQ_U64(t.size, sizeof(enum fx_state));
		CHECK_EQ_U64(t.is_signed, !((enum fx_state) - 1 > (enum fx_state)0));
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "enum fx_flags", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_ENUM);
		CHECK_EQ_U64(t.size, sizeof(enum fx_flags));
		CHECK_EQ_U64(t.is_signed, !((enum fx_flags) - 1 > (enum fx_flags)0));
	}
	/* A typedef of a typedef of a const volatile struct: all stripped. */
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "fx_cv3_t", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_STRUCT);
		CHECK_STR(t.name, "fx_inner");
		CHECK_EQ_U64(t.size, sizeof(fx_cv3_t));
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "u16", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_INT);
		CHECK_EQ_U64(t.size, sizeof(u16));
		CHECK(!t.is_signed);
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "int", &t))) {
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_INT);
		CHECK_STR(t.name, "int");
		CHECK_EQ_U64(t.size, sizeof(int));
		CHECK(t.is_signed);
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "unsigned int", &t))) {
		CHECK_EQ_U64(t.size, sizeof(unsigned int));
		CHECK(!t.is_signed);
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "char", &t))) {
		CHECK_EQ_U64(t.size, 1);
		CHECK_EQ_U64(t.is_signed, !((char)-1 > (char)0));
	}
	hypmem_dwarf_destroy(dw);
}

TEST(find_type_errors)
{
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t;

	REQUIRE(dw);
	CHECK_ERR(hypmem_dwarf_find_type(dw, "struct fx_missing", &t), HYPMEM_ERROR_LOOKUP,
		  "struct fx_missing", NULL);
	CHECK_ERR(hypmem_dwarf_find_type(dw, "fx_missing_t", &t), HYPMEM_ERROR_LOOKUP,
		  "fx_missing_t", NULL);
	/* The right name with the wrong keyword is not a match. */
	CHECK_ERR(hypmem_dwarf_find_type(dw, "union fx_outer", &t), HYPMEM_ERROR_LOOKUP,
		  "union fx_outer", NULL);
	CHECK_ERR(hypmem_dwarf_find_type(dw, "struct fx_word", &t), HYPMEM_ERROR_LOOKUP,
		  "struct fx_word", NULL);
	/* A variable's name is not a type's. */
	CHECK_ERR(hypmem_dwarf_find_type(dw, "fx_global_outer", &t), HYPMEM_ERROR_LOOKUP, NULL,
		  NULL);
	/* Only declared. */
	CHECK_ERR(hypmem_dwarf_find_type(dw, "struct fx_opaque", &t), HYPMEM_ERROR_LOOKUP,
		  "struct fx_opaque", NULL);
	hypmem_dwarf_destroy(dw);
}

/* --- members --- */

TEST(member_offsets)
{
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t;
	struct hypmem_member m = {0};

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_outer", &t)));
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, c);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, inner);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, ring);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, grid);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, four);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, deep);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, half);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, next);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, callback);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, state);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, flags);
	/* Dotted paths through nested structs. */
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, inner.value);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, inner.small);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, deep.mid);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, deep.mid.leaf);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, deep.mid.x);
	/* Members of anonymous structs and unions, nested two deep. */
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, anon_a);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, anon_u16);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, anon_u64);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, anon_ptr);
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_outer, anon_word);
	/* A bitfield inside an anonymous struct. */
	CHECK_BITFIELD(dw, &t, struct fx_outer, flag_lo, "flag_lo");
	CHECK_BITFIELD(dw, &t, struct fx_outer, flag_hi, "flag_hi");

	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "inner", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_STRUCT);
		CHECK_STR(m.name, "inner");
		CHECK_STR(m.type.name, "fx_inner");
		CHECK_STR(m.type_name, "struct fx_inner");
	}
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "half", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_INT);
		CHECK_STR(m.type_name, "u16");
	}
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "state", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_ENUM);
		CHECK_STR(m.type_name, "enum fx_state");
	}
	CHECK(hypmem_dwarf_has_member(dw, &t, "deep.mid.leaf", NULL));
	CHECK(hypmem_dwarf_has_member(dw, &t, "anon_u64", &m));
	CHECK_EQ_U64(m.offset, offsetof(struct fx_outer, anon_u64));
	CHECK(!hypmem_dwarf_has_member(dw, &t, "deep.mid.nope", NULL));
	CHECK(!hypmem_dwarf_has_member(dw, &t, "", NULL));

	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "union fx_word", &t)));
	CHECK_MEMBER_OFFSET(dw, &t, union fx_word, raw);
	CHECK_MEMBER_OFFSET(dw, &t, union fx_word, lo);
	CHECK_MEMBER_OFFSET(dw, &t, union fx_word, hi);
	CHECK_MEMBER_OFFSET(dw, &t, union fx_word, bytes);
	hypmem_dwarf_destroy(dw);
}

TEST(member_errors)
{
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t, i;
	struct hypmem_member m;
	const struct hypmem_member *members;
	size_t nr;

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_outer", &t)));
	CHECK_ERR(hypmem_dwarf_member(dw, &t, "nope", &m), HYPMEM_ERROR_LOOKUP, "struct fx_outer",
		  "nope");
	CHECK_ERR(hypmem_dwarf_member(dw, &t, "deep.mid.nope", &m), HYPMEM_ERROR_LOOKUP,
		  "struct fx_outer", "deep.mid.nope");
	/* Through a member that is not a struct. */
	CHECK_ERR(hypmem_dwarf_member(dw, &t, "half.x", &m), HYPMEM_ERROR_LOOKUP, "half.x", NULL);
	/* Through a pointer: not followed. */
	CHECK_ERR(hypmem_dwarf_member(dw, &t, "next.c", &m), HYPMEM_ERROR_LOOKUP, "next.c", NULL);
	CHECK_ERR(hypmem_dwarf_member(dw, &t, "deep.", &m), HYPMEM_ERROR_LOOKUP, NULL, NULL);

	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "int", &i)));
	CHECK_ERR(hypmem_dwarf_member(dw, &i, "x", &m), HYPMEM_ERROR_LOOKUP, "x", NULL);
	CHECK_ERR(hypmem_dwarf_members(dw, &i, &members, &nr), HYPMEM_ERROR_INVALID_ARGUMENT, NULL,
		  NULL);
	hypmem_dwarf_destroy(dw);
}

TEST(members_list)
{
	static const char *const names[] = {"tag", "value", "small"};
	static const uint64_t offsets[] = {offsetof(struct fx_inner, tag),
					   offsetof(struct fx_inner, value),
					   offsetof(struct fx_inner, small)};
	struct hypmem_dwarf *dw = open_self();
	const struct hypmem_member *members, *again;
	struct hypmem_type t;
	size_t nr, nr2;

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_inner", &t)));
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_members(dw, &t, &members, &nr)));
	REQUIRE(nr == 3);
	for (size_t k = 0; k < nr; k++) {
		CHECK_STR(members[k].name, names[k]);
		CHECK_EQ_U64(members[k].offset, offsets[k]);
	}
	/* Cached: the same array again. */
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_members(dw, &t, &again, &nr2)));
	CHECK(again == members);
	CHECK_EQ_U64(nr2, nr);

	/* Anonymous members are listed unnamed. */
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "union fx_word", &t)));
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_members(dw, &t, &members, &nr)));
	REQUIRE(nr == 3);
	CHECK(members[1].name == NULL);
	CHECK_EQ_U64(members[1].type.kind, HYPMEM_TYPE_STRUCT);
	CHECK_EQ_U64(members[1].type.size, 2 * sizeof(u32));
	hypmem_dwarf_destroy(dw);
}

TEST(bitfields)
{
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t;
	struct hypmem_member m;

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_bits", &t)));
	CHECK_BITFIELD(dw, &t, struct fx_bits, b0, "b0");
	CHECK_BITFIELD(dw, &t, struct fx_bits, b1, "b1");
	CHECK_BITFIELD(dw, &t, struct fx_bits, cross, "cross");
	CHECK_BITFIELD(dw, &t, struct fx_bits, wide, "wide");
	CHECK_BITFIELD(dw, &t, struct fx_bits, mid, "mid");
	CHECK_BITFIELD(dw, &t, struct fx_bits, neg, "neg");
	CHECK_BITFIELD(dw, &t, struct fx_bits, tail, "tail");
	CHECK_BITFIELD(dw, &t, struct fx_bits, last, "last");
	CHECK_MEMBER_OFFSET(dw, &t, struct fx_bits, after);
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "neg", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_INT);
		CHECK(m.type.is_signed);
	}
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "wide", &m))) {
		CHECK_EQ_U64(m.type.size, sizeof(u64));
		CHECK_STR(m.type_name, "u64");
	}
	hypmem_dwarf_destroy(dw);
}

TEST(arrays_and_pointers)
{
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t, e;
	struct hypmem_member m;
	char buf[128];

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_outer", &t)));

	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "four", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_ARRAY);
		CHECK_EQ_U64(m.type.size, sizeof(fx_global_outer.four));
		CHECK_EQ_U64(m.type.nr_elements,
			     sizeof(fx_global_outer.four) / sizeof(fx_global_outer.four[0]));
		CHECK_STR(m.type_name, "int[4]");
		CHECK_STR(hypmem_dwarf_type_name(dw, &m.type, buf, sizeof(buf)), "int[4]");
		if (CHECK_NO_ERR(hypmem_dwarf_element_type(dw, &m.type, &e))) {
			CHECK_EQ_U64(e.kind, HYPMEM_TYPE_INT);
			CHECK_EQ_U64(e.size, sizeof(int));
		}
	}
	/* 2-D: the element type is the innermost one, counted over all dimensions. */
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "grid", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_ARRAY);
		CHECK_EQ_U64(m.type.size, sizeof(fx_global_outer.grid));
		CHECK_EQ_U64(m.type.nr_elements,
			     sizeof(fx_global_outer.grid) / sizeof(fx_global_outer.grid[0][0]));
		CHECK_STR(m.type_name, "int[3][4]");
		if (CHECK_NO_ERR(hypmem_dwarf_element_type(dw, &m.type, &e))) {
			CHECK_EQ_U64(e.kind, HYPMEM_TYPE_INT);
			CHECK_EQ_U64(m.type.nr_elements * e.size, m.type.size);
		}
	}
	/* An array of structs. */
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "ring", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_ARRAY);
		CHECK_EQ_U64(m.type.size, sizeof(fx_global_outer.ring));
		CHECK_EQ_U64(m.type.nr_elements,
			     sizeof(fx_global_outer.ring) / sizeof(fx_global_outer.ring[0]));
		CHECK_STR(m.type_name, "struct fx_inner[3]");
		if (CHECK_NO_ERR(hypmem_dwarf_element_type(dw, &m.type, &e))) {
			CHECK_EQ_U64(e.kind, HYPMEM_TYPE_STRUCT);
			CHECK_STR(e.name, "fx_inner");
			CHECK_EQ_U64(e.size, sizeof(struct fx_inner));
		}
	}
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "next", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_POINTER);
		CHECK_EQ_U64(m.type.size, sizeof(fx_global_outer.next));
		CHECK_STR(m.type_name, "struct fx_outer *");
		CHECK_STR(hypmem_dwarf_type_name(dw, &m.type, buf, sizeof(buf)),
			  "struct fx_outer *");
		if (CHECK_NO_ERR(hypmem_dwarf_element_type(dw, &m.type, &e))) {
			CHECK_EQ_U64(e.kind, HYPMEM_TYPE_STRUCT);
			CHECK_STR(e.name, "fx_outer");
		}
	}
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "anon_ptr", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_POINTER);
		CHECK_STR(m.type_name, "void *");
		if (CHECK_NO_ERR(hypmem_dwarf_element_type(dw, &m.type, &e)))
			CHECK_EQ_U64(e.kind, HYPMEM_TYPE_VOID);
	}
	if (CHECK_NO_ERR(hypmem_dwarf_member(dw, &t, "callback", &m))) {
		CHECK_EQ_U64(m.type.kind, HYPMEM_TYPE_POINTER);
		CHECK_EQ_U64(m.type.size, sizeof(fx_global_outer.callback));
		if (CHECK_NO_ERR(hypmem_dwarf_element_type(dw, &m.type, &e)))
			CHECK_EQ_U64(e.kind, HYPMEM_TYPE_FUNCTION);
	}
	/* Neither array nor pointer. */
	CHECK_ERR(hypmem_dwarf_element_type(dw, &t, &e), HYPMEM_ERROR_INVALID_ARGUMENT, NULL, NULL);
	hypmem_dwarf_destroy(dw);
}

TEST(type_names)
{
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t, v = {.kind = HYPMEM_TYPE_VOID};
	char buf[64], tiny[8];

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_outer", &t)));
	CHECK_STR(hypmem_dwarf_type_name(dw, &t, buf, sizeof(buf)), "struct fx_outer");
	/* Truncated, still NUL-terminated. */
	CHECK(hypmem_dwarf_type_name(dw, &t, tiny, sizeof(tiny)) == tiny);
	CHECK_EQ_U64(strlen(tiny), sizeof(tiny) - 1);
	CHECK(!strncmp(tiny, "struct fx_outer", sizeof(tiny) - 1));
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "union fx_word", &t)));
	CHECK_STR(hypmem_dwarf_type_name(dw, &t, buf, sizeof(buf)), "union fx_word");
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "enum fx_state", &t)));
	CHECK_STR(hypmem_dwarf_type_name(dw, &t, buf, sizeof(buf)), "enum fx_state");
	/* A typedef resolves to its base type, which is named. */
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "u16", &t)));
	CHECK_STR(hypmem_dwarf_type_name(dw, &t, buf, sizeof(buf)), "short unsigned int");
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "fx_cv3_t", &t)));
	CHECK_STR(hypmem_dwarf_type_name(dw, &t, buf, sizeof(buf)), "struct fx_inner");
	CHECK_STR(hypmem_dwarf_type_name(dw, &v, buf, sizeof(buf)), "void");
	hypmem_dwarf_destroy(dw);
}

TEST(enumerators)
{
	struct hypmem_dwarf *dw = open_self();
	int64_t v = 42;

	REQUIRE(dw);
	if (CHECK_NO_ERR(hypmem_dwarf_enumerator(dw, "FX_STATE_NEG", &v)))
		CHECK_EQ_U64(v, (int64_t)FX_STATE_NEG);
	if (CHECK_NO_ERR(hypmem_dwarf_enumerator(dw, "FX_STATE_ZERO", &v)))
		CHECK_EQ_U64(v, (int64_t)FX_STATE_ZERO);
	if (CHECK_NO_ERR(hypmem_dwarf_enumerator(dw, "FX_STATE_SMALL", &v)))
		CHECK_EQ_U64(v, (int64_t)FX_STATE_SMALL);
	if (CHECK_NO_ERR(hypmem_dwarf_enumerator(dw, "FX_STATE_BIG", &v)))
		CHECK_EQ_U64(v, (int64_t)FX_STATE_BIG);
	if (CHECK_NO_ERR(hypmem_dwarf_enumerator(dw, "FX_FLAG_LOW", &v)))
		CHECK_EQ_U64(v, (uint64_t)FX_FLAG_LOW);
	/* Above INT64_MAX: the same 64 bits. */
	if (CHECK_NO_ERR(hypmem_dwarf_enumerator(dw, "FX_FLAG_TOP", &v)))
		CHECK_EQ_U64(v, (uint64_t)FX_FLAG_TOP);
	v = 42;
	CHECK_ERR(hypmem_dwarf_enumerator(dw, "FX_STATE_MISSING", &v), HYPMEM_ERROR_LOOKUP,
		  "FX_STATE_MISSING", NULL);
	CHECK_EQ_U64(v, 42);
	/* A type or variable name is not an enumerator. */
	CHECK_ERR(hypmem_dwarf_enumerator(dw, "fx_state", &v), HYPMEM_ERROR_LOOKUP, NULL, NULL);
	CHECK_ERR(hypmem_dwarf_enumerator(dw, "fx_global_outer", &v), HYPMEM_ERROR_LOOKUP, NULL,
		  NULL);
	hypmem_dwarf_destroy(dw);
}

/* --- symbols and variables --- */

TEST(symbols_and_variables)
{
	struct hypmem_dwarf *dw = open_self();
	uint64_t value = 0, size = 0, addr = 0, bias;
	struct hypmem_type t;

	REQUIRE(dw);
	/* The load bias, from one data symbol (0 if not PIE). */
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_symbol(dw, "fx_global_outer", &value, &size)));
	bias = (uintptr_t)&fx_global_outer - value;
	CHECK_EQ_U64(bias % 4096, 0);
#ifdef __SANITIZE_ADDRESS__
	CHECK(size >= sizeof(fx_global_outer));
#else
	CHECK_EQ_U64(size, sizeof(fx_global_outer));
#endif
	/* Code is biased the same way. */
	if (CHECK_NO_ERR(hypmem_dwarf_find_symbol(dw, "main", &value, NULL)))
		CHECK_EQ_U64(value + bias, (uintptr_t)&main);
	if (CHECK_NO_ERR(hypmem_dwarf_find_symbol(dw, "fx_inner_var", &value, NULL)))
		CHECK_EQ_U64(value + bias, (uintptr_t)&fx_inner_var);
	CHECK_ERR(hypmem_dwarf_find_symbol(dw, "fx_no_such_symbol", &value, NULL),
		  HYPMEM_ERROR_LOOKUP, "fx_no_such_symbol", NULL);

	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx_global_outer", &addr, &t))) {
		CHECK_EQ_U64(addr + bias, (uintptr_t)&fx_global_outer);
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_STRUCT);
		CHECK_STR(t.name, "fx_outer");
		CHECK_EQ_U64(t.size, sizeof(fx_global_outer));
	}
	/* File-local: found through DWARF (and the local symbol). */
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx_static_outer", &addr, &t))) {
		CHECK_EQ_U64(addr + bias, (uintptr_t)&fx_static_outer);
		CHECK_STR(t.name, "fx_outer");
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx_cv_var", &addr, &t))) {
		CHECK_EQ_U64(addr + bias, (uintptr_t)&fx_cv_var);
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_STRUCT);
		CHECK_STR(t.name, "fx_inner");
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx_int_array", &addr, &t))) {
		CHECK_EQ_U64(addr + bias, (uintptr_t)&fx_int_array);
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_ARRAY);
		CHECK_EQ_U64(t.nr_elements, 4);
		CHECK_EQ_U64(t.size, sizeof(fx_int_array));
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx_opaque_ptr", &addr, &t))) {
		CHECK_EQ_U64(addr + bias, (uintptr_t)&fx_opaque_ptr);
		CHECK_EQ_U64(t.kind, HYPMEM_TYPE_POINTER);
	}
	/* The type is optional. */
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx_bits_var", &addr, NULL)))
		CHECK_EQ_U64(addr + bias, (uintptr_t)&fx_bits_var);
	CHECK_ERR(hypmem_dwarf_find_variable(dw, "fx_no_such_var", &addr, &t), HYPMEM_ERROR_LOOKUP,
		  "fx_no_such_var", NULL);
	hypmem_dwarf_destroy(dw);
}

static void free_names(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

/*
 * Neither this file nor libhypmem.a has a compile unit under a hyp path, so
 * hypmem_dwarf_open() indexes every unit as if it were hyp code: every
 * variable with a location counts.  Typedefs and qualifiers are stripped
 * before the types are compared.
 */
TEST(variables_of_type_without_hyp_units)
{
	struct hypmem_dwarf *dw = open_self();
	char **names = (char **)&names;
	size_t nr = 99;

	REQUIRE(dw);
	if (CHECK_NO_ERR(hypmem_dwarf_variables_of_type(dw, "struct fx_outer", &names, &nr))) {
		CHECK_EQ_U64(nr, 2);
		if (nr == 2) {
			CHECK_STR(names[0], "fx_global_outer");
			CHECK_STR(names[1], "fx_static_outer");
		}
		free_names(names, nr);
	}
	if (CHECK_NO_ERR(hypmem_dwarf_variables_of_type(dw, "struct fx_inner", &names, &nr))) {
		CHECK_EQ_U64(nr, 2);
		if (nr == 2) {
			CHECK_STR(names[0], "fx_cv_var");
			CHECK_STR(names[1], "fx_inner_var");
		}
		free_names(names, nr);
	}
	if (CHECK_NO_ERR(hypmem_dwarf_variables_of_type(dw, "union fx_word", &names, &nr))) {
		CHECK_EQ_U64(nr, 1);
		if (nr == 1)
			CHECK_STR(names[0], "fx_word_var");
		free_names(names, nr);
	}
	/* A known type without variables: none, not an error. */
	if (CHECK_NO_ERR(hypmem_dwarf_variables_of_type(dw, "struct fx_leaf", &names, &nr))) {
		CHECK_EQ_U64(nr, 0);
		free_names(names, nr);
	}
	CHECK_ERR(hypmem_dwarf_variables_of_type(dw, "struct fx_missing", &names, &nr),
		  HYPMEM_ERROR_LOOKUP, "struct fx_missing", NULL);
	CHECK(names == NULL);
	CHECK_EQ_U64(nr, 0);
	hypmem_dwarf_destroy(dw);
}

/* --- printing --- */

static char *print_struct(struct hypmem_dwarf *dw, const struct hypmem_type *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	hypmem_dwarf_print_struct(dw, t, f);
	fclose(f);
	return buf;
}

TEST(print_struct)
{
	/* Declarators as this file writes them, arrays with every dimension. */
	static const char *const outer_decls[] = {
	    " c;",    " inner;", " ring[3];",  " grid[3][4];", " four[4];", " deep;",
	    " half;", " next;",	 " callback;", " state;",      " flags;",
	};
	struct hypmem_dwarf *dw = open_self();
	struct hypmem_type t;
	char *text, want[128];

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_inner", &t)));
	text = print_struct(dw, &t);
	REQUIRE(text);
	CHECK_CONTAINS(text, "struct fx_inner {");
	CHECK_CONTAINS(text, "tag;");
	CHECK_CONTAINS(text, "value;");
	CHECK_CONTAINS(text, "small;");
	snprintf(want, sizeof(want), "size: %zu,", sizeof(struct fx_inner));
	CHECK_CONTAINS(text, want);
	snprintf(want, sizeof(want), "XXX %zu bytes hole",
		 offsetof(struct fx_inner, value) - sizeof(u8));
	CHECK_CONTAINS(text, want);
	snprintf(want, sizeof(want), "padding: %zu */",
		 sizeof(struct fx_inner) - offsetof(struct fx_inner, small) - sizeof(u16));
	CHECK_CONTAINS(text, want);
	CHECK_CONTAINS(text, "members: 3 ");
	free(text);

	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_outer", &t)));
	text = print_struct(dw, &t);
	REQUIRE(text);
	for (size_t i = 0; i < sizeof(outer_decls) / sizeof(outer_decls[0]); i++)
		CHECK_CONTAINS(text, outer_decls[i]);
	snprintf(want, sizeof(want), "size: %zu,", sizeof(struct fx_outer));
	CHECK_CONTAINS(text, want);
	free(text);

	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_bits", &t)));
	text = print_struct(dw, &t);
	REQUIRE(text);
	CHECK_CONTAINS(text, "wide:45;");
	CHECK_CONTAINS(text, "cross:7;");
	CHECK_CONTAINS(text, "after;");
	snprintf(want, sizeof(want), "size: %zu,", sizeof(struct fx_bits));
	CHECK_CONTAINS(text, want);
	free(text);

	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "union fx_word", &t)));
	text = print_struct(dw, &t);
	REQUIRE(text);
	CHECK_CONTAINS(text, "union fx_word {");
	CHECK_CONTAINS(text, "raw;");
	CHECK_CONTAINS(text, "bytes[8];");
	CHECK(!strstr(text, "hole"));
	snprintf(want, sizeof(want), "size: %zu,", sizeof(union fx_word));
	CHECK_CONTAINS(text, want);
	free(text);

	/* Not a struct: a comment, no crash. */
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "int", &t)));
	text = print_struct(dw, &t);
	REQUIRE(text);
	CHECK_CONTAINS(text, "/*");
	free(text);
	hypmem_dwarf_destroy(dw);
}

static struct json_object *json_member(struct json_object *members, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i), *n;

		if (json_object_object_get_ex(m, "name", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return m;
	}
	return NULL;
}

static uint64_t json_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v)) {
		test_failed_checks++;
		printf("#   JSON object has no key '%s'\n", key);
		return UINT64_MAX;
	}
	return json_object_get_uint64(v);
}

TEST(struct_json)
{
	struct hypmem_dwarf *dw = open_self();
	struct json_object *o, *members, *m, *v;
	struct hypmem_type t;
	uint64_t first, count;

	REQUIRE(dw);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_inner", &t)));
	o = hypmem_dwarf_struct_json(dw, &t);
	REQUIRE(o);
	CHECK(json_object_object_get_ex(o, "name", &v) &&
	      !strcmp(json_object_get_string(v), "struct fx_inner"));
	CHECK_EQ_U64(json_u64(o, "size"), sizeof(struct fx_inner));
	CHECK(json_object_object_get_ex(o, "members", &members) &&
	      json_object_is_type(members, json_type_array));
	CHECK_EQ_U64(json_object_array_length(members), 3);
	m = json_member(members, "value");
	CHECK(m);
	CHECK_EQ_U64(json_u64(m, "offset"), offsetof(struct fx_inner, value));
	CHECK_EQ_U64(json_u64(m, "size"), sizeof(u64));
	CHECK(m && json_object_object_get_ex(m, "type", &v) &&
	      !strcmp(json_object_get_string(v), "u64"));
	CHECK(m && !json_object_object_get_ex(m, "bit_size", NULL));
	json_object_put(o);

	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx_bits", &t)));
	o = hypmem_dwarf_struct_json(dw, &t);
	REQUIRE(o);
	CHECK(json_object_object_get_ex(o, "members", &members));
	m = json_member(members, "wide");
	CHECK(m);
	BITFIELD_POS(struct fx_bits, wide, &first, &count);
	CHECK_EQ_U64(json_u64(m, "offset") * 8 + json_u64(m, "bit_offset"), first);
	CHECK_EQ_U64(json_u64(m, "bit_size"), count);
	json_object_put(o);

	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "int", &t)));
	CHECK(hypmem_dwarf_struct_json(dw, &t) == NULL);
	hypmem_dwarf_destroy(dw);
}

/* --- a program built at run time: DWARF 4 bitfields, hyp units --- */

#define STR_(...) #__VA_ARGS__
#define STR(...)  STR_(__VA_ARGS__)

/* Shared with the generated program, so both compilers see the same types. */
#define FX4_TYPES                                                                                  \
	struct fx4_bits {                                                                          \
		unsigned char lo : 3;                                                              \
		unsigned short cross : 9;                                                          \
		unsigned long long wide : 45;                                                      \
		int neg : 5;                                                                       \
		unsigned int tail : 17;                                                            \
	};                                                                                         \
	struct __attribute__((packed)) fx4_packed {                                                \
		unsigned char a;                                                                   \
		unsigned long long w : 60;                                                         \
		unsigned char b : 4;                                                               \
	};                                                                                         \
	struct fx4_pool {                                                                          \
		unsigned long free_pages;                                                          \
		struct fx4_bits bits;                                                              \
		struct fx4_packed packed;                                                          \
	};

FX4_TYPES

static const char fx4_hyp_src[] = "#include \"fx4.h\"\n"
				  "struct fx4_pool fx4_hyp_pool;\n"
				  "struct fx4_pool fx4_hyp_spare;\n"
				  "struct fx4_bits fx4_hyp_bits;\n";

static const char fx4_host_src[] =
    "#include <stdio.h>\n"
    "#include \"fx4.h\"\n"
    "extern struct fx4_pool fx4_hyp_pool, fx4_hyp_spare;\n"
    "extern int __kvm_nvhe_fx4_nodebug;\n"
    "struct fx4_pool fx4_host_pool;\n"
    "int main(void)\n"
    "{\n"
    "\tprintf(\"%lx %lx %lx %lx %lx\\n\", (unsigned long)&fx4_hyp_pool,\n"
    "\t       (unsigned long)&fx4_hyp_spare, (unsigned long)&fx4_host_pool,\n"
    "\t       (unsigned long)&__kvm_nvhe_fx4_nodebug, (unsigned long)&main);\n"
    "\treturn 0;\n"
    "}\n";

static const char fx4_nodebug_src[] = "int __kvm_nvhe_fx4_nodebug = 5;\n";

static bool write_text(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fputs(text, f) >= 0;
	return !fclose(f) && ok;
}

/* Build the program in @dir; fills @addrs with what it prints. */
static bool build_fx4(const char *dir, unsigned long addrs[5])
{
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	char *nodebug[] = {(char *)cc, "-g0",	    "-O0",	 "-fno-pie", "-c",
			   "-o",       "nodebug.o", "nodebug.c", NULL};
	char *link[] = {(char *)cc, "-gdwarf-4", "-O0",
			"-fno-pie", "-no-pie",	 "-I.",
			"-o",	    "prog",	 "arch/arm64/kvm/hyp/nvhe/fx4_pool.c",
			"host.c",   "nodebug.o", NULL};
	char *prog[] = {"./prog", NULL};
	char path[4096], out[4096];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/arch/arm64/kvm/hyp/nvhe", dir);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	mkdir(path, 0700);
	if (!write_text(dir, "fx4.h", STR(FX4_TYPES) "\n") ||
	    !write_text(dir, "arch/arm64/kvm/hyp/nvhe/fx4_pool.c", fx4_hyp_src) ||
	    !write_text(dir, "host.c", fx4_host_src) ||
	    !write_text(dir, "nodebug.c", fx4_nodebug_src))
		return false;
	if (run(dir, NULL, nodebug) || run(dir, NULL, link))
		return false;
	snprintf(out, sizeof(out), "%s/out.txt", dir);
	if (run(dir, out, prog))
		return false;
	f = fopen(out, "r");
	if (!f)
		return false;
	n = fscanf(f, "%lx %lx %lx %lx %lx", &addrs[0], &addrs[1], &addrs[2], &addrs[3], &addrs[4]);
	fclose(f);
	return n == 5;
}

static void remove_tree(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL};

	run(NULL, NULL, argv);
}

TEST(dwarf4_program_with_hyp_units)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct hypmem_dwarf *dw = NULL;
	struct hypmem_type t, pk;
	unsigned long addrs[5];
	char dir[1024], prog[1100];
	uint64_t addr, value;
	char **names;
	size_t nr;

	if (!have_tool(getenv("CC") && *getenv("CC") ? getenv("CC") : "cc")) {
		printf("# skip: no C compiler\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/hypmem-dwarf4-XXXXXX", tmp);
	REQUIRE(mkdtemp(dir));
	if (!build_fx4(dir, addrs)) {
		test_failed_checks++;
		printf("#   could not build and run the DWARF 4 program in %s\n", dir);
		remove_tree(dir);
		return;
	}
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	if (!CHECK_NO_ERR(hypmem_dwarf_open(prog, &dw))) {
		remove_tree(dir);
		return;
	}

	/* DW_AT_bit_offset (MSB numbering) bitfields, one at a negative offset. */
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx4_bits", &t))) {
		CHECK_EQ_U64(t.size, sizeof(struct fx4_bits));
		CHECK_BITFIELD(dw, &t, struct fx4_bits, lo, "lo");
		CHECK_BITFIELD(dw, &t, struct fx4_bits, cross, "cross");
		CHECK_BITFIELD(dw, &t, struct fx4_bits, wide, "wide");
		CHECK_BITFIELD(dw, &t, struct fx4_bits, neg, "neg");
		CHECK_BITFIELD(dw, &t, struct fx4_bits, tail, "tail");
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx4_packed", &pk))) {
		CHECK_EQ_U64(pk.size, sizeof(struct fx4_packed));
		CHECK_BITFIELD(dw, &pk, struct fx4_packed, w, "w");
		CHECK_BITFIELD(dw, &pk, struct fx4_packed, b, "b");
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_type(dw, "struct fx4_pool", &t))) {
		CHECK_MEMBER_OFFSET(dw, &t, struct fx4_pool, packed);
		CHECK_BITFIELD(dw, &t, struct fx4_pool, bits.wide, "bits.wide");
		CHECK_BITFIELD(dw, &t, struct fx4_pool, packed.w, "packed.w");
	}

	/* Only the variables of the hyp unit are listed. */
	if (CHECK_NO_ERR(hypmem_dwarf_variables_of_type(dw, "struct fx4_pool", &names, &nr))) {
		CHECK_EQ_U64(nr, 2);
		if (nr == 2) {
			CHECK_STR(names[0], "fx4_hyp_pool");
			CHECK_STR(names[1], "fx4_hyp_spare");
		}
		free_names(names, nr);
	}

	/* Hyp and host variables, at the addresses the program printed. */
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx4_hyp_pool", &addr, &t))) {
		CHECK_EQ_U64(addr, addrs[0]);
		CHECK_STR(t.name, "fx4_pool");
	}
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx4_hyp_spare", &addr, NULL)))
		CHECK_EQ_U64(addr, addrs[1]);
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx4_host_pool", &addr, &t))) {
		CHECK_EQ_U64(addr, addrs[2]);
		CHECK_EQ_U64(t.size, sizeof(struct fx4_pool));
	}
	/* No DWARF: the "__kvm_nvhe_" symbol, but no type. */
	if (CHECK_NO_ERR(hypmem_dwarf_find_variable(dw, "fx4_nodebug", &addr, NULL)))
		CHECK_EQ_U64(addr, addrs[3]);
	CHECK_ERR(hypmem_dwarf_find_variable(dw, "fx4_nodebug", &addr, &t), HYPMEM_ERROR_LOOKUP,
		  "fx4_nodebug", NULL);
	if (CHECK_NO_ERR(hypmem_dwarf_find_symbol(dw, "main", &value, NULL)))
		CHECK_EQ_U64(value, addrs[4]);

	hypmem_dwarf_destroy(dw);
	remove_tree(dir);
}

TEST_MAIN
