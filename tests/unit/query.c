// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the page-query address parser and of the search for the
 * kernel's VMCOREINFO note in RAM.  Expected values are written by hand
 * from the inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/identity.h"
#include "hypmem/query.h"
#include "test.h"
#include "../lib/fakeram.h"

TEST(parse_prefixes)
{
	struct hypmem_addr a;

	CHECK(hypmem_query_parse("pfn:0x10", &a));
	CHECK(a.kind == HYPMEM_ADDR_PFN);
	CHECK_EQ_U64(a.value, 16);
	CHECK(hypmem_query_parse("pa:4096", &a));
	CHECK(a.kind == HYPMEM_ADDR_PA);
	CHECK_EQ_U64(a.value, 4096);
	CHECK(hypmem_query_parse("hyp:0x400000000010", &a));
	CHECK(a.kind == HYPMEM_ADDR_HYP_VA);
	CHECK_EQ_U64(a.value, 0x400000000010ULL);
	CHECK(hypmem_query_parse("kva:0xffff800080014000", &a));
	CHECK(a.kind == HYPMEM_ADDR_KVA);
	CHECK_EQ_U64(a.value, 0xffff800080014000ULL);
	CHECK(hypmem_query_parse("sym:hpool", &a));
	CHECK(a.kind == HYPMEM_ADDR_SYMBOL);
	CHECK_STR(a.text, "sym:hpool");
	CHECK(hypmem_query_parse("0x7f600000", &a));
	CHECK(a.kind == HYPMEM_ADDR_AUTO);
	CHECK_EQ_U64(a.value, 0x7f600000);
}

TEST(parse_rejects)
{
	static const char *const bad[] = {"",	      "pa:",	 "pa:zz",
					  "pfn:-1",   "sym:",	 "-5",
					  "0x10junk", "pa:0x1 ", "99999999999999999999999"};
	char longname[200];
	struct hypmem_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!hypmem_query_parse(bad[i], &a));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "sym:", 4);
	CHECK(!hypmem_query_parse(longname, &a));
}

/* A note at a page start: namesz 11, descsz, type 0, "VMCOREINFO\0\0", text. */
static void put_note(uint8_t *p, const char *text)
{
	uint32_t namesz = 11, descsz = (uint32_t)strlen(text), type = 0;

	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	memcpy(p + 12, "VMCOREINFO\0\0", 12);
	memcpy(p + 24, text, descsz);
}

TEST(vmcoreinfo_in_ram)
{
	static const char text[] = "OSRELEASE=6.12.0\nPAGESIZE=4096\nKERNELOFFSET=1000\n";
	const size_t size = 64 * 4096;
	uint8_t *ram = calloc(1, size);
	struct hypmem_source *src = NULL;
	char *found = NULL;
	uint64_t pa = 0;

	REQUIRE(ram);
	/* Decoys: the name off a page start, a wrong type, a text that is not VMCOREINFO. */
	put_note(ram + 5 * 4096 + 8, text);
	put_note(ram + 6 * 4096, text);
	ram[6 * 4096 + 8] = 1;
	put_note(ram + 7 * 4096, "NOT=1\n");
	put_note(ram + 9 * 4096, text);
	REQUIRE((src = fakeram_source(0x40000000, ram, size)));
	CHECK_NO_ERR(hypmem_vmcoreinfo_find_in_ram(src, &found, &pa));
	REQUIRE(found);
	CHECK_STR(found, text);
	CHECK_EQ_U64(pa, 0x40000000 + 9 * 4096);
	free(found);
	hypmem_source_destroy(src);

	/* No note anywhere: none found, no error. */
	memset(ram, 0, size);
	REQUIRE((src = fakeram_source(0x40000000, ram, size)));
	CHECK_NO_ERR(hypmem_vmcoreinfo_find_in_ram(src, &found, NULL));
	CHECK(found == NULL);
	hypmem_source_destroy(src);
	free(ram);
}

TEST_MAIN
