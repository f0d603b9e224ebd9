// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the symbol and DWARF layer (lib/hypmem/dwarf.c,
 * layout_json.c): the vmlinux is the user's file, but it may be any file,
 * damaged or built to hurt.
 *
 * An input is a whole ELF file.  It goes into a memfd (no disk per input)
 * opened by path, /proc/self/fd/N, as a vmlinux is; then every lookup the
 * tools make is made: the symbols and variables of the hyp, the structs
 * the decoders read (members, paths, element types, names as C writes
 * them, the layout printed as text and JSON), enumerators, the structs and
 * variables listed by prefix and type, the image bytes, build ID and
 * sections.  Errors are expected; a crash, a leak or undefined behaviour
 * is a bug.  Seeds: small objects with the EL2 core's structs compiled
 * -g by gcc and clang, DWARF 4 and 5 (gen_dwarf_corpus.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hypmem/dwarf.h"
#include "hypmem/render.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];
static FILE *devnull;

static const char *const types[] = {"hyp_pool", "hyp_page", "list_head", "kvm_pgtable",
				    "hyp_spinlock_t", "kvm_hyp_memcache", "u64"};
static const char *const paths[] = {"free_area", "range_start", "range_end", "max_order",
				    "lock", "refcount", "order", "host_state",
				    "free_area.next", "a.b.c"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("HYPMEM_NO_CACHE", "1", 1);
	fd = memfd_create("fuzz_dwarf", MFD_CLOEXEC);
	devnull = fopen("/dev/null", "w");
	if (fd < 0 || !devnull)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The element type's name when @ty has one (arrays, pointers). */
static void element(struct hypmem_dwarf *dw, const struct hypmem_type *ty, char *buf, size_t len)
{
	struct hypmem_type el;
	struct hypmem_error *err = hypmem_dwarf_element_type(dw, ty, &el);

	if (!err)
		hypmem_dwarf_type_name(dw, &el, buf, len);
	hypmem_error_destroy(err);
}

static void one_type(struct hypmem_dwarf *dw, const struct hypmem_type *ty)
{
	const struct hypmem_member *m;
	struct hypmem_member mm;
	char buf[128];
	size_t n;

	hypmem_dwarf_type_name(dw, ty, buf, sizeof(buf));
	element(dw, ty, buf, sizeof(buf));
	if (ty->kind != HYPMEM_TYPE_STRUCT && ty->kind != HYPMEM_TYPE_UNION)
		return;
	struct hypmem_error *err = hypmem_dwarf_members(dw, ty, &m, &n);

	if (!err) {
		for (size_t i = 0; i < n && i < 64; i++) {
			hypmem_dwarf_type_name(dw, &m[i].type, buf, sizeof(buf));
			element(dw, &m[i].type, buf, sizeof(buf));
		}
	}
	hypmem_error_destroy(err);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		hypmem_error_destroy(hypmem_dwarf_member(dw, ty, paths[i], &mm));
		(void)hypmem_dwarf_has_member(dw, ty, paths[i], NULL);
	}
	hypmem_dwarf_print_struct(dw, ty, devnull);
	json_object_put(hypmem_dwarf_struct_json(dw, ty));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hypmem_dwarf *dw;
	struct hypmem_error *err;
	struct hypmem_type ty;
	uint64_t a, b;
	int64_t e;
	char **names, buf[128];
	size_t n;

	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err = hypmem_dwarf_open(path, &dw);
	if (err) {
		hypmem_error_destroy(err);
		return 0;
	}
	hypmem_error_destroy(hypmem_dwarf_find_symbol(dw, "__kvm_nvhe_hpool", &a, &b));
	hypmem_error_destroy(hypmem_dwarf_find_variable(dw, "hpool", &a, &ty));
	hypmem_error_destroy(hypmem_dwarf_find_variable(dw, "hyp_physvirt_offset", &a, NULL));
	hypmem_error_destroy(hypmem_dwarf_check_pkvm(dw));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!(err = hypmem_dwarf_find_type(dw, types[i], &ty)))
			one_type(dw, &ty);
		else
			hypmem_error_destroy(err);
	hypmem_error_destroy(hypmem_dwarf_enumerator(dw, "PKVM_PAGE_OWNED", &e));
	if (!(err = hypmem_dwarf_struct_names(dw, "hyp", &names, &n)))
		free_names(names, n);
	hypmem_error_destroy(err);
	if (!(err = hypmem_dwarf_variables_of_type(dw, "struct hyp_pool", &names, &n)))
		free_names(names, n);
	hypmem_error_destroy(err);
	hypmem_error_destroy(hypmem_dwarf_image_sample(dw, buf, sizeof(buf), &n, &a));
	(void)hypmem_dwarf_build_id(dw, buf, sizeof(buf));
	if (hypmem_dwarf_section(dw, ".data", &a, &b))
		hypmem_error_destroy(hypmem_dwarf_image_read(dw, a, buf, b < 64 ? b : 64));
	hypmem_dwarf_destroy(dw);
	return 0;
}
