// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the heap-design and pKVM-image checks on DWARF alone
 * (hypmem_heap_check_design(), hypmem_dwarf_check_pkvm()).
 *
 * This binary describes itself: it defines a struct chunk_hdr in Android's
 * list-based shape (alloc_size, mapped_size, a list node, hash) and no
 * struct hyp_page, so the heap check must name Android's design and the
 * pKVM check must refuse the image, naming the missing type.
 */
#include <string.h>

#include "hypmem/dwarf.h"
#include "hypmem/error.h"
#include "hypmem/heap.h"
#include "test.h"

struct list_head {
	struct list_head *next, *prev;
};

/* Android's heap chunk header (android14-6.1 era), rebuilt from its shape. */
struct chunk_hdr {
	unsigned int alloc_size;
	unsigned int mapped_size;
	struct list_head node;
	unsigned int hash;
	char data[] __attribute__((aligned(8)));
};

struct hyp_allocator {
	struct list_head chunks;
	unsigned long start;
	unsigned int size;
};

struct hyp_allocator fx_allocator;
struct chunk_hdr fx_chunk;

TEST(android_heap_is_named)
{
	struct hypmem_dwarf *dw;
	struct hypmem_error *err;

	fx_chunk.alloc_size = (unsigned int)sizeof(fx_allocator);
	if (!CHECK_NO_ERR(hypmem_dwarf_open("/proc/self/exe", &dw)))
		return;
	err = hypmem_heap_check_design(dw);
	CHECK(err && err->code == HYPMEM_ERROR_FORMAT);
	CHECK(err && strstr(err->message, "Android's list-based design"));
	CHECK(err && strstr(err->message, "alloc_size, mapped_size"));
	hypmem_error_destroy(err);
	hypmem_dwarf_destroy(dw);
}

TEST(image_without_pkvm_types_is_refused)
{
	struct hypmem_dwarf *dw;
	struct hypmem_error *err;

	if (!CHECK_NO_ERR(hypmem_dwarf_open("/proc/self/exe", &dw)))
		return;
	err = hypmem_dwarf_check_pkvm(dw);
	CHECK(err && err->code == HYPMEM_ERROR_FORMAT);
	CHECK(err && strstr(err->message, "no struct hyp_page"));
	CHECK(err && strstr(err->message, "not a pKVM vmlinux"));
	CHECK(err && !strchr(err->message, '\n'));
	hypmem_error_destroy(err);
	hypmem_dwarf_destroy(dw);
}

TEST_MAIN
