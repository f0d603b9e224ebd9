// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the VMCOREINFO parser.  The expected values are read off
 * the test texts by hand (the text is the oracle), never computed with the
 * code under test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/error.h"
#include "hypmem/vmcoreinfo.h"
#include "test.h"

/* Shaped like a Debian 6.1 arm64 kernel's /sys/kernel/vmcoreinfo. */
static const char real_text[] = "OSRELEASE=6.1.0-13-cloud-arm64\n"
				"BUILD-ID=4c0d5c1fb4d6a3b8a1e0a5e2d67f6bb0d1a9c1f2\n"
				"PAGESIZE=4096\n"
				"SYMBOL(init_uts_ns)=ffff80000a1d7c40\n"
				"OFFSET(uts_namespace.name)=0\n"
				"SYMBOL(node_online_map)=ffff80000a1c9a28\n"
				"SYMBOL(swapper_pg_dir)=ffff80000a0e6000\n"
				"SYMBOL(_stext)=ffff800008010000\n"
				"SIZE(page)=64\n"
				"NUMBER(PG_head_mask)=65536\n"
				"NUMBER(VA_BITS)=48\n"
				"NUMBER(kimage_voffset)=0xffff7fffb7e00000\n"
				"NUMBER(PHYS_OFFSET)=0x40000000\n"
				"NUMBER(x)=-1\n"
				"NUMBER(MAX_PHYSMEM_BITS)=48\n"
				"KERNELOFFSET=2c6ee0000\n"
				"CRASHTIME=1700000000\n";

static struct hypmem_vmcoreinfo *parse_ok(const char *text)
{
	struct hypmem_vmcoreinfo *vmci = NULL;

	if (!CHECK_NO_ERR(hypmem_vmcoreinfo_parse(text, &vmci)))
		return NULL;
	return vmci;
}

/* The call fails with @code; the error is destroyed. */
static void check_code(struct hypmem_error *err, enum hypmem_error_code code, const char *needle)
{
	CHECK(err != NULL);
	if (!err)
		return;
	CHECK_EQ_U64(err->code, code);
	if (needle && (!err->message || !strstr(err->message, needle))) {
		test_failed_checks++;
		printf("#   message \"%s\" does not mention \"%s\"\n",
		       err->message ? err->message : "(null)", needle);
	}
	hypmem_error_destroy(err);
}

TEST(real_kernel_values)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok(real_text);
	uint64_t v = 0;

	REQUIRE(vmci);
	CHECK_EQ_U64(hypmem_vmcoreinfo_count(vmci), 17);
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "OSRELEASE"), "6.1.0-13-cloud-arm64");
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "SYMBOL(swapper_pg_dir)"), "ffff80000a0e6000");
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "NUMBER(x)"), "-1");

	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "PAGESIZE", &v));
	CHECK_EQ_U64(v, 4096);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "VA_BITS", &v));
	CHECK_EQ_U64(v, 48);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "kimage_voffset", &v));
	CHECK_EQ_U64(v, 0xffff7fffb7e00000ULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "PHYS_OFFSET", &v));
	CHECK_EQ_U64(v, 0x40000000ULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "PG_head_mask", &v));
	CHECK_EQ_U64(v, 65536);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "x", &v));
	CHECK_EQ_U64(v, 0xffffffffffffffffULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "CRASHTIME", &v));
	CHECK_EQ_U64(v, 1700000000);

	CHECK_NO_ERR(hypmem_vmcoreinfo_symbol(vmci, "swapper_pg_dir", &v));
	CHECK_EQ_U64(v, 0xffff80000a0e6000ULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_symbol(vmci, "_stext", &v));
	CHECK_EQ_U64(v, 0xffff800008010000ULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_kerneloffset(vmci, &v));
	CHECK_EQ_U64(v, 0x2c6ee0000ULL);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(missing_keys)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok("OSRELEASE=6.1.0\nNUMBER(VA_BITS)=48\n");
	uint64_t v = 1234;

	REQUIRE(vmci);
	CHECK(hypmem_vmcoreinfo_get(vmci, "PAGESIZE") == NULL);
	/* Exact keys only: no prefix, suffix or case-insensitive matches. */
	CHECK(hypmem_vmcoreinfo_get(vmci, "OSRELEAS") == NULL);
	CHECK(hypmem_vmcoreinfo_get(vmci, "OSRELEASE2") == NULL);
	CHECK(hypmem_vmcoreinfo_get(vmci, "osrelease") == NULL);
	CHECK(hypmem_vmcoreinfo_get(vmci, "VA_BITS") == NULL);
	check_code(hypmem_vmcoreinfo_number(vmci, "kimage_voffset", &v), HYPMEM_ERROR_LOOKUP,
		   "kimage_voffset");
	check_code(hypmem_vmcoreinfo_symbol(vmci, "swapper_pg_dir", &v), HYPMEM_ERROR_LOOKUP,
		   "SYMBOL(swapper_pg_dir)");
	/* SYMBOL() does not fall back to a plain key. */
	check_code(hypmem_vmcoreinfo_symbol(vmci, "OSRELEASE", &v), HYPMEM_ERROR_LOOKUP, NULL);
	check_code(hypmem_vmcoreinfo_kerneloffset(vmci, &v), HYPMEM_ERROR_LOOKUP, "KERNELOFFSET");
	CHECK_EQ_U64(v, 1234);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(number_prefers_number_key)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok("PAGESIZE=4096\nNUMBER(PAGESIZE)=0x10000\n");
	uint64_t v = 0;

	REQUIRE(vmci);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "PAGESIZE", &v));
	CHECK_EQ_U64(v, 0x10000);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(number_bases_and_signs)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok("NUMBER(a)=0\n"
						  "NUMBER(b)=010\n"
						  "NUMBER(c)=0X1F\n"
						  "NUMBER(d)=-2\n"
						  "NUMBER(e)=-9223372036854775808\n"
						  "NUMBER(f)=18446744073709551615\n"
						  "NUMBER(g)=0xffffffffffffffff\n"
						  "NUMBER(h)=+7\n"
						  "NUMBER(i)=-0x10\n");
	uint64_t v = 0;

	REQUIRE(vmci);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "a", &v));
	CHECK_EQ_U64(v, 0);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "b", &v));
	CHECK_EQ_U64(v, 8);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "c", &v));
	CHECK_EQ_U64(v, 31);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "d", &v));
	CHECK_EQ_U64(v, 0xfffffffffffffffeULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "e", &v));
	CHECK_EQ_U64(v, 0x8000000000000000ULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "f", &v));
	CHECK_EQ_U64(v, 0xffffffffffffffffULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "g", &v));
	CHECK_EQ_U64(v, 0xffffffffffffffffULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "h", &v));
	CHECK_EQ_U64(v, 7);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "i", &v));
	CHECK_EQ_U64(v, 0xfffffffffffffff0ULL);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(malformed_numbers)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok("NUMBER(empty)=\n"
						  "NUMBER(word)=abc\n"
						  "NUMBER(trail)=12abc\n"
						  "NUMBER(space)= 12\n"
						  "NUMBER(tspace)=12 \n"
						  "NUMBER(prefix)=0x\n"
						  "NUMBER(octal)=09\n"
						  "NUMBER(dsign)=--1\n"
						  "NUMBER(sign)=-\n"
						  "SYMBOL(neg)=-1\n"
						  "SYMBOL(g)=ffff8000g\n"
						  "SYMBOL(empty)=\n"
						  "SYMBOL(prefix)=0x\n"
						  "KERNELOFFSET=0x2c6ee0000 \n");
	const char *bad_numbers[] = {"empty",  "word",	"trail", "space", "tspace",
				     "prefix", "octal", "dsign", "sign"};
	const char *bad_symbols[] = {"neg", "g", "empty", "prefix"};
	uint64_t v = 1234;

	REQUIRE(vmci);
	for (size_t i = 0; i < sizeof(bad_numbers) / sizeof(bad_numbers[0]); i++)
		check_code(hypmem_vmcoreinfo_number(vmci, bad_numbers[i], &v), HYPMEM_ERROR_FORMAT,
			   bad_numbers[i]);
	for (size_t i = 0; i < sizeof(bad_symbols) / sizeof(bad_symbols[0]); i++)
		check_code(hypmem_vmcoreinfo_symbol(vmci, bad_symbols[i], &v), HYPMEM_ERROR_FORMAT,
			   bad_symbols[i]);
	check_code(hypmem_vmcoreinfo_kerneloffset(vmci, &v), HYPMEM_ERROR_FORMAT, "KERNELOFFSET");
	CHECK_EQ_U64(v, 1234);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(error_names_key_and_value)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok("NUMBER(VA_BITS)=forty-eight\n");
	uint64_t v;

	REQUIRE(vmci);
	check_code(hypmem_vmcoreinfo_number(vmci, "VA_BITS", &v), HYPMEM_ERROR_FORMAT,
		   "NUMBER(VA_BITS)=forty-eight");
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(overflow)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok("NUMBER(hex)=0x1ffffffffffffffff\n"
						  "NUMBER(dec)=18446744073709551616\n"
						  "NUMBER(neg)=-9223372036854775809\n"
						  "NUMBER(long)=0x00000000000000000000000000001\n"
						  "SYMBOL(big)=1ffffffffffffffff\n"
						  "SYMBOL(max)=ffffffffffffffff\n"
						  "KERNELOFFSET=10000000000000000\n");
	uint64_t v = 1234;

	REQUIRE(vmci);
	check_code(hypmem_vmcoreinfo_number(vmci, "hex", &v), HYPMEM_ERROR_FORMAT,
		   "0x1ffffffffffffffff");
	check_code(hypmem_vmcoreinfo_number(vmci, "dec", &v), HYPMEM_ERROR_FORMAT,
		   "18446744073709551616");
	check_code(hypmem_vmcoreinfo_number(vmci, "neg", &v), HYPMEM_ERROR_FORMAT, "neg");
	check_code(hypmem_vmcoreinfo_symbol(vmci, "big", &v), HYPMEM_ERROR_FORMAT, "big");
	check_code(hypmem_vmcoreinfo_kerneloffset(vmci, &v), HYPMEM_ERROR_FORMAT, "KERNELOFFSET");
	CHECK_EQ_U64(v, 1234);
	/* Leading zeroes are not an overflow. */
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "long", &v));
	CHECK_EQ_U64(v, 1);
	CHECK_NO_ERR(hypmem_vmcoreinfo_symbol(vmci, "max", &v));
	CHECK_EQ_U64(v, 0xffffffffffffffffULL);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(symbol_accepts_0x)
{
	struct hypmem_vmcoreinfo *vmci =
	    parse_ok("SYMBOL(a)=0xffff800008000000\nSYMBOL(b)=FFFF8000ABCDEF00\n"
		     "KERNELOFFSET=0X10\n");
	uint64_t v = 0;

	REQUIRE(vmci);
	CHECK_NO_ERR(hypmem_vmcoreinfo_symbol(vmci, "a", &v));
	CHECK_EQ_U64(v, 0xffff800008000000ULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_symbol(vmci, "b", &v));
	CHECK_EQ_U64(v, 0xffff8000abcdef00ULL);
	CHECK_NO_ERR(hypmem_vmcoreinfo_kerneloffset(vmci, &v));
	CHECK_EQ_U64(v, 0x10);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(crlf_and_no_trailing_newline)
{
	struct hypmem_vmcoreinfo *vmci =
	    parse_ok("OSRELEASE=6.1.0\r\nPAGESIZE=4096\r\nKERNELOFFSET=2c6ee0000");
	uint64_t v = 0;

	REQUIRE(vmci);
	CHECK_EQ_U64(hypmem_vmcoreinfo_count(vmci), 3);
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "OSRELEASE"), "6.1.0");
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "PAGESIZE", &v));
	CHECK_EQ_U64(v, 4096);
	CHECK_NO_ERR(hypmem_vmcoreinfo_kerneloffset(vmci, &v));
	CHECK_EQ_U64(v, 0x2c6ee0000ULL);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(empty_lines_and_lines_without_equals)
{
	struct hypmem_vmcoreinfo *vmci =
	    parse_ok("\n\nOSRELEASE=6.1.0\n\r\njunk line\n=novalue\nEMPTY=\nA=b=c\n\n");

	REQUIRE(vmci);
	CHECK_EQ_U64(hypmem_vmcoreinfo_count(vmci), 3);
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "OSRELEASE"), "6.1.0");
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "EMPTY"), "");
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "A"), "b=c");
	CHECK(hypmem_vmcoreinfo_get(vmci, "junk line") == NULL);
	CHECK(hypmem_vmcoreinfo_get(vmci, "") == NULL);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(duplicate_key_first_wins)
{
	struct hypmem_vmcoreinfo *vmci =
	    parse_ok("PAGESIZE=4096\nOSRELEASE=first\nPAGESIZE=65536\nOSRELEASE=second\n");
	uint64_t v = 0;

	REQUIRE(vmci);
	CHECK_EQ_U64(hypmem_vmcoreinfo_count(vmci), 2);
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "OSRELEASE"), "first");
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "PAGESIZE", &v));
	CHECK_EQ_U64(v, 4096);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(embedded_nul_ends_text)
{
	static const char text[] = "OSRELEASE=6.1.0\nPAGESIZE=40\0"
				   "96\nKERNELOFFSET=10\n";
	struct hypmem_vmcoreinfo *vmci = parse_ok(text);
	uint64_t v = 0;

	REQUIRE(vmci);
	CHECK_EQ_U64(hypmem_vmcoreinfo_count(vmci), 2);
	CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "PAGESIZE", &v));
	CHECK_EQ_U64(v, 40);
	CHECK(hypmem_vmcoreinfo_get(vmci, "KERNELOFFSET") == NULL);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(empty_text)
{
	struct hypmem_vmcoreinfo *vmci = parse_ok("");
	uint64_t v = 1234;

	REQUIRE(vmci);
	CHECK_EQ_U64(hypmem_vmcoreinfo_count(vmci), 0);
	CHECK(hypmem_vmcoreinfo_get(vmci, "OSRELEASE") == NULL);
	check_code(hypmem_vmcoreinfo_number(vmci, "PAGESIZE", &v), HYPMEM_ERROR_LOOKUP, NULL);
	CHECK_EQ_U64(v, 1234);
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST(null_arguments)
{
	struct hypmem_vmcoreinfo *vmci = NULL;
	uint64_t v = 1234;

	check_code(hypmem_vmcoreinfo_parse(NULL, &vmci), HYPMEM_ERROR_INVALID_ARGUMENT, NULL);
	CHECK(vmci == NULL);
	hypmem_vmcoreinfo_destroy(NULL);
	CHECK_EQ_U64(hypmem_vmcoreinfo_count(NULL), 0);
	CHECK(hypmem_vmcoreinfo_get(NULL, "OSRELEASE") == NULL);
	check_code(hypmem_vmcoreinfo_number(NULL, "PAGESIZE", &v), HYPMEM_ERROR_LOOKUP, NULL);
	CHECK_EQ_U64(v, 1234);
}

TEST(text_size_limit)
{
	char *text = malloc(HYPMEM_VMCOREINFO_MAX_TEXT + 2);
	struct hypmem_vmcoreinfo *vmci = NULL;

	REQUIRE(text);
	/* Exactly at the limit: one long value, accepted. */
	memcpy(text, "K=", 2);
	memset(text + 2, 'v', HYPMEM_VMCOREINFO_MAX_TEXT - 2);
	text[HYPMEM_VMCOREINFO_MAX_TEXT] = '\0';
	if (CHECK_NO_ERR(hypmem_vmcoreinfo_parse(text, &vmci))) {
		CHECK_EQ_U64(strlen(hypmem_vmcoreinfo_get(vmci, "K")),
			     HYPMEM_VMCOREINFO_MAX_TEXT - 2);
		hypmem_vmcoreinfo_destroy(vmci);
	}
	/* One byte more: rejected. */
	text[HYPMEM_VMCOREINFO_MAX_TEXT] = 'v';
	text[HYPMEM_VMCOREINFO_MAX_TEXT + 1] = '\0';
	vmci = NULL;
	check_code(hypmem_vmcoreinfo_parse(text, &vmci), HYPMEM_ERROR_FORMAT, NULL);
	CHECK(vmci == NULL);
	free(text);
}

TEST(entry_limit)
{
	/* "k0000=1\n" is 8 bytes; 4097 of them fit in 64 KiB. */
	size_t n = HYPMEM_VMCOREINFO_MAX_ENTRIES + 1;
	char *text = malloc(n * 8 + 1);
	struct hypmem_vmcoreinfo *vmci = NULL;

	REQUIRE(text);
	for (size_t i = 0; i < n; i++)
		snprintf(text + i * 8, 9, "k%04zu=1\n", i);
	check_code(hypmem_vmcoreinfo_parse(text, &vmci), HYPMEM_ERROR_FORMAT, "4096");
	/* 4096 entries are fine, and each is found. */
	text[(n - 1) * 8] = '\0';
	vmci = NULL;
	if (CHECK_NO_ERR(hypmem_vmcoreinfo_parse(text, &vmci))) {
		uint64_t v = 0;

		CHECK_EQ_U64(hypmem_vmcoreinfo_count(vmci), 4096);
		CHECK_STR(hypmem_vmcoreinfo_get(vmci, "k0000"), "1");
		CHECK_STR(hypmem_vmcoreinfo_get(vmci, "k4095"), "1");
		CHECK(hypmem_vmcoreinfo_get(vmci, "k4096") == NULL);
		CHECK_NO_ERR(hypmem_vmcoreinfo_number(vmci, "k2048", &v));
		CHECK_EQ_U64(v, 1);
		hypmem_vmcoreinfo_destroy(vmci);
	}
	free(text);
}

TEST(text_is_copied)
{
	char text[] = "OSRELEASE=6.1.0\n";
	struct hypmem_vmcoreinfo *vmci = parse_ok(text);

	REQUIRE(vmci);
	memset(text, 'x', sizeof(text) - 1);
	CHECK_STR(hypmem_vmcoreinfo_get(vmci, "OSRELEASE"), "6.1.0");
	hypmem_vmcoreinfo_destroy(vmci);
}

TEST_MAIN
