// SPDX-License-Identifier: GPL-2.0-only
/*
 * Targets: opening the image and the source, and translating addresses.
 *
 * The hyp stage-1 walk here only answers "which PA backs this hyp VA"; it
 * caches the last few leaves it found (a tiny TLB), because decoders read
 * the vmemmap entry by entry.  The full walker with findings, for dumping
 * page tables, is stage2.c's business.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/identity.h"
#include "hypmem/target.h"
#include "hypmem/vmcoreinfo.h"
#include "pgwalk.h"

#define TLB_SIZE 8

struct tlb_entry {
	uint64_t va, pa, size; /* size 0: empty */
};

struct hypmem_target {
	struct hypmem_dwarf *dw;
	bool dw_borrowed; /* cfg->dwarf: the caller closes it */
	/* struct hyp_page as DWARF has it, looked up on first use */
	struct hypmem_hyp_page_layout *hp_layout;
	struct hypmem_source *src;
	struct hypmem_vmcoreinfo *vmci;
	struct hypmem_findings findings;
	struct hypmem_target_info info;
	struct hypmem_ram_range *ram;
	char *release;
	uint64_t hyp_pgd_pa;
	struct tlb_entry tlb[TLB_SIZE];
	unsigned int tlb_next;
};

struct hypmem_dwarf *hypmem_target_dwarf(struct hypmem_target *t)
{
	return t->dw;
}

struct hypmem_hyp_page_layout **hypmem_target_hp_layout_memo(struct hypmem_target *t)
{
	return &t->hp_layout;
}

struct hypmem_source *hypmem_target_source(struct hypmem_target *t)
{
	return t->src;
}

struct hypmem_findings *hypmem_target_findings(struct hypmem_target *t)
{
	return &t->findings;
}

const struct hypmem_vmcoreinfo *hypmem_target_vmcoreinfo(const struct hypmem_target *t)
{
	return t->vmci;
}

const struct hypmem_target_info *hypmem_target_info(const struct hypmem_target *t)
{
	return &t->info;
}

uint64_t hypmem_target_hyp_linear_to_pa(const struct hypmem_target *t, uint64_t hva)
{
	return hva + (uint64_t)t->info.hyp_physvirt_offset;
}

uint64_t hypmem_target_pa_to_hyp_linear(const struct hypmem_target *t, uint64_t pa)
{
	return pa - (uint64_t)t->info.hyp_physvirt_offset;
}

struct hypmem_error *hypmem_target_read(struct hypmem_target *t, void *buf, uint64_t pa, size_t n)
{
	return hypmem_source_read(t->src, buf, pa, n);
}

struct hypmem_error *hypmem_target_kva_to_pa(struct hypmem_target *t, uint64_t kva,
					     uint64_t *pa_ret)
{
	*pa_ret = kva + t->info.kaslr_offset - t->info.kimage_voffset;
	return NULL;
}

/*
 * A kernel linear-map VA: VMCOREINFO gives VA_BITS (PAGE_OFFSET is
 * -2^VA_BITS), PHYS_OFFSET and, where the kernel fell back to fewer bits
 * than it was built for, TCR_EL1_T1SZ; the linear map is the lower half of
 * the kernel's actual VA space, PA = VA - PAGE_OFFSET + PHYS_OFFSET.
 */
struct hypmem_error *hypmem_target_kernel_lm_to_pa(struct hypmem_target *t, uint64_t va,
						   uint64_t *pa_ret)
{
	uint64_t va_bits, phys_offset, t1sz, actual, pa;
	struct hypmem_error *err;

	if (!t->vmci)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "kernel linear address 0x%" PRIx64
					   ": the dump has no VMCOREINFO (PHYS_OFFSET, VA_BITS)",
					   va);
	if ((err = hypmem_vmcoreinfo_number(t->vmci, "VA_BITS", &va_bits)) ||
	    (err = hypmem_vmcoreinfo_number(t->vmci, "PHYS_OFFSET", &phys_offset)))
		return err;
	actual = va_bits;
	err = hypmem_vmcoreinfo_number(t->vmci, "TCR_EL1_T1SZ", &t1sz);
	if (!err && t1sz >= 12 && t1sz <= 48)
		actual = 64 - t1sz;
	hypmem_error_destroy(err);
	if (va_bits < 36 || va_bits > 52 || actual < 36 || actual > va_bits)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "VMCOREINFO VA_BITS %" PRIu64 " (%" PRIu64 " in use)",
					   va_bits, actual);
	if (va < -(1ULL << actual) || va >= -(1ULL << (actual - 1)))
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "0x%" PRIx64 " is not a kernel linear-map address", va);
	pa = va + (1ULL << va_bits) + phys_offset;
	*pa_ret = pa;
	for (size_t i = 0; i < t->info.nr_ram; i++)
		if (pa >= t->info.ram[i].start && pa < t->info.ram[i].end)
			return NULL;
	if (!t->info.nr_ram)
		return NULL;
	return hypmem_error_create(HYPMEM_ERROR_FAULT,
				   "kernel linear address 0x%" PRIx64 " gives PA 0x%" PRIx64
				   ", outside RAM",
				   va, pa);
}

struct hypmem_error *hypmem_target_symbol_pa(struct hypmem_target *t, const char *name,
					     uint64_t *pa_ret, struct hypmem_type *type_ret)
{
	struct hypmem_error *err;
	uint64_t addr;

	err = hypmem_dwarf_find_variable(t->dw, name, &addr, type_ret);
	if (err)
		return err;
	return hypmem_target_kva_to_pa(t, addr, pa_ret);
}

/* Read an integer variable of any width DWARF gives it. */
static struct hypmem_error *read_int_var(struct hypmem_target *t, const char *name,
					 uint64_t *ret)
{
	struct hypmem_type type;
	struct hypmem_error *err;
	uint64_t pa;
	uint8_t buf[8] = { 0 };

	err = hypmem_target_symbol_pa(t, name, &pa, &type);
	if (err)
		return err;
	if (type.kind != HYPMEM_TYPE_INT && type.kind != HYPMEM_TYPE_POINTER &&
	    type.kind != HYPMEM_TYPE_ENUM)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: variable '%s' is not an integer or pointer",
					   hypmem_dwarf_path(t->dw), name);
	if (type.size == 0 || type.size > 8)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: '%s' has size %" PRIu64,
					   hypmem_dwarf_path(t->dw), name, type.size);
	err = hypmem_source_read(t->src, buf, pa, type.size);
	if (err)
		return err;
	struct hypmem_field f = { .present = true, .size = type.size, .is_signed = type.is_signed };
	hypmem_field_get(&f, buf, sizeof(buf), ret);
	return NULL;
}

struct hypmem_error *hypmem_field_lookup(struct hypmem_target *t, const struct hypmem_type *type,
					 const char *path, bool required, struct hypmem_field *ret)
{
	struct hypmem_member m;

	memset(ret, 0, sizeof(*ret));
	if (!required) {
		if (!hypmem_dwarf_has_member(t->dw, type, path, &m))
			return NULL;
	} else {
		struct hypmem_error *err = hypmem_dwarf_member(t->dw, type, path, &m);

		if (err)
			return err;
	}
	if (m.bit_size) {
		/* Pick the smallest power-of-two unit holding all the bits. */
		uint32_t first = m.bit_offset, last = m.bit_offset + m.bit_size - 1;
		uint32_t start_byte = first / 8, size = 1;

		while (start_byte % size || (start_byte + size) * 8 <= last) {
			size *= 2;
			start_byte = first / 8 / size * size;
			if (size > 8)
				return hypmem_error_create(HYPMEM_ERROR_FORMAT,
							   "bitfield '%s' spans more than 8 bytes",
							   path);
		}
		ret->offset = m.offset + start_byte;
		ret->size = size;
		ret->bit_offset = first - start_byte * 8;
		ret->bit_size = m.bit_size;
	} else {
		if (m.type.size == 0 || m.type.size > 8)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "member '%s' has size %" PRIu64
						   " (expected an integer or pointer)",
						   path, m.type.size);
		ret->offset = m.offset;
		ret->size = m.type.size;
	}
	ret->is_signed = m.type.is_signed;
	ret->present = true;
	return NULL;
}

/* --- hyp stage-1 translation --- */

/*
 * @invalid_ret (may be NULL) is set when the walk ends at an invalid
 * descriptor of a table that is in the dump: @hva is then known to be
 * unmapped, not merely unreadable.
 */
static struct hypmem_error *hyp_walk(struct hypmem_target *t, uint64_t hva, uint64_t *pa_ret,
				     uint64_t *size_ret, bool *invalid_ret)
{
	uint32_t ia_bits = t->info.hyp_ia_bits;
	struct hypmem_pgtable_geometry g = {.ia_bits = ia_bits,
					    .start_level = t->info.hyp_start_level,
					    .pgd_pa = t->hyp_pgd_pa,
					    .pgd_pages = 1,
					    .page_shift = t->info.page_shift,
					    .lpa2 = ia_bits > 48};
	struct pgwalk_lookup l;
	struct hypmem_error *err;

	if (ia_bits < 64 && (hva >> ia_bits))
		return hypmem_error_fault(hva, "hyp VA 0x%" PRIx64 " is above the %u-bit hyp VA space",
					  hva, ia_bits);
	err = pgwalk_lookup(t->src, &g, hva, &l);
	if (err)
		return err;
	switch (l.end) {
	case PGWALK_MAPPED:
		*pa_ret = l.pa;
		*size_ret = l.size;
		return NULL;
	case PGWALK_UNREACHABLE:
		return hypmem_error_fault(hva,
					  "hyp VA 0x%" PRIx64
					  ": level %d table at PA 0x%" PRIx64 " is not in the dump",
					  hva, l.level, l.table_pa);
	case PGWALK_INVALID:
		if (invalid_ret)
			*invalid_ret = true;
		return hypmem_error_fault(hva, "hyp VA 0x%" PRIx64 " is not mapped (level %d)", hva,
					  l.level);
	default:
		return hypmem_error_fault(hva,
					  "hyp VA 0x%" PRIx64 ": reserved descriptor 0x%" PRIx64
					  " at level %d",
					  hva, l.pte, l.level);
	}
}

struct hypmem_error *hypmem_target_hyp_to_pa(struct hypmem_target *t, uint64_t hva,
					     uint64_t *pa_ret, uint64_t *mapped_ret)
{
	struct hypmem_error *err;
	uint64_t pa, size;

	for (unsigned int i = 0; i < TLB_SIZE; i++) {
		struct tlb_entry *e = &t->tlb[i];

		if (e->size && hva - e->va < e->size) {
			*pa_ret = e->pa + (hva - e->va);
			if (mapped_ret)
				*mapped_ret = e->size - (hva - e->va);
			return NULL;
		}
	}
	err = hyp_walk(t, hva, &pa, &size, NULL);
	if (err)
		return err;
	t->tlb[t->tlb_next] = (struct tlb_entry){ hva & ~(size - 1), pa & ~(size - 1), size };
	t->tlb_next = (t->tlb_next + 1) % TLB_SIZE;
	*pa_ret = pa;
	if (mapped_ret)
		*mapped_ret = size - (hva & (size - 1));
	return NULL;
}

bool hypmem_target_hyp_unmapped(struct hypmem_target *t, uint64_t hva)
{
	struct hypmem_error *err;
	uint64_t pa, size;
	bool invalid = false;

	/* @invalid is only ever set on the way to an error. */
	err = hyp_walk(t, hva, &pa, &size, &invalid);
	hypmem_error_destroy(err);
	return invalid;
}

struct hypmem_error *hypmem_target_read_hyp(struct hypmem_target *t, void *buf, uint64_t hva,
					    size_t n)
{
	uint8_t *out = buf;

	while (n) {
		uint64_t pa, mapped;
		struct hypmem_error *err = hypmem_target_hyp_to_pa(t, hva, &pa, &mapped);
		size_t chunk;

		if (err)
			return err;
		chunk = mapped < n ? (size_t)mapped : n;
		err = hypmem_source_read(t->src, out, pa, chunk);
		if (err)
			return err;
		out += chunk;
		hva += chunk;
		n -= chunk;
	}
	return NULL;
}

/* --- opening --- */

/*
 * A raw image of RAM says nothing about where the kernel was loaded.  The
 * image's banner (or, for the hypmem EL2 image, its first code bytes) is
 * in RAM exactly as linked, at the same offset in its page since images
 * load page-aligned: every 4K page of RAM is compared at that offset, and
 * exactly one match gives kimage_voffset (runtime VA, i.e. link VA + KASLR
 * offset, minus that PA).  Several matches (a copy of the Image in the page
 * cache) are ambiguous: the user says which with --kimage-voffset.
 */
#define LOCATE_SAMPLE 256
#define LOCATE_WINDOW (2ULL << 20)

static struct hypmem_error *locate_image(struct hypmem_target *t)
{
	uint8_t sample[LOCATE_SAMPLE], page[LOCATE_SAMPLE];
	const struct hypmem_segment *segs;
	uint64_t vaddr, in_page, found = 0, nr_found = 0;
	struct hypmem_error *err;
	size_t nr, len;

	err = hypmem_dwarf_image_sample(t->dw, sample, sizeof(sample), &len, &vaddr);
	if (err)
		return err;
	/*
	 * A scan in 4K steps, not a page size: the image is aligned to at least
	 * its granule (4K, 16K or 64K), always a multiple of 4K.
	 */
	in_page = vaddr & 4095;
	segs = hypmem_source_segments(t->src, &nr);
	for (size_t i = 0; i < nr; i++) {
		uint64_t pa = (segs[i].phys_start + 4095) & ~4095ULL;
		uint64_t end = segs[i].phys_start + segs[i].size;

		for (; pa < end && end - pa >= in_page + len; pa += 4096) {
			uint64_t win = end - pa < LOCATE_WINDOW ? end - pa : LOCATE_WINDOW;
			const void *v = NULL;

			/* One view per window when the source can, else a read per page. */
			if (!(pa % LOCATE_WINDOW) &&
			    (err = hypmem_source_view(t->src, pa, (size_t)win, &v))) {
				hypmem_error_destroy(err);
				v = NULL;
			}
			if (v) {
				for (uint64_t off = 0; win - off >= in_page + len; off += 4096)
					if (!memcmp((const uint8_t *)v + off + in_page, sample, len)) {
						found = pa + off;
						nr_found++;
					}
				pa += (win - 1) & ~4095ULL;
				continue;
			}
			err = hypmem_source_read(t->src, page, pa + in_page, len);
			if (err) {
				hypmem_error_destroy(err);
				continue;
			}
			if (!memcmp(page, sample, len)) {
				found = pa;
				nr_found++;
			}
		}
	}
	if (nr_found != 1)
		return hypmem_error_create(
		    HYPMEM_ERROR_LOOKUP,
		    "cannot translate kernel image addresses: the raw image has no VMCOREINFO and "
		    "the kernel image is %s in it (give --kimage-voffset)",
		    nr_found ? "at more than one place" : "nowhere");
	t->info.kimage_voffset = (vaddr & ~4095ULL) + t->info.kaslr_offset - found;
	return NULL;
}

static struct hypmem_error *find_kimage_voffset(struct hypmem_target *t,
						const struct hypmem_target_config *cfg)
{
	const struct hypmem_segment *segs;
	struct hypmem_error *err;
	uint64_t kva, val;
	size_t nr;

	if (cfg->kimage_voffset_set) {
		t->info.kimage_voffset = cfg->kimage_voffset;
		return NULL;
	}
	if (t->vmci && !hypmem_vmcoreinfo_number(t->vmci, "kimage_voffset", &val)) {
		t->info.kimage_voffset = val;
		return NULL;
	}
	/* kexec-made ELF vmcores map the kernel image with virtual addresses. */
	err = hypmem_dwarf_find_variable(t->dw, "hyp_physvirt_offset", &kva, NULL);
	if (err)
		return err;
	kva += t->info.kaslr_offset;
	segs = hypmem_source_segments(t->src, &nr);
	for (size_t i = 0; i < nr; i++) {
		if (segs[i].virt_start && kva - segs[i].virt_start < segs[i].size) {
			t->info.kimage_voffset = segs[i].virt_start - segs[i].phys_start;
			return NULL;
		}
	}
	if (hypmem_source_kind(t->src) == HYPMEM_SOURCE_RAW)
		return locate_image(t);
	return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
				   "cannot translate kernel image addresses: the dump has no "
				   "VMCOREINFO kimage_voffset and no virtual segment for the "
				   "kernel image (give --kimage-voffset)");
}

static struct hypmem_error *read_hyp_memory(struct hypmem_target *t)
{
	struct hypmem_type arr, reg;
	struct hypmem_field base, size;
	struct hypmem_error *err;
	uint64_t pa, nr;
	uint8_t buf[64];

	err = read_int_var(t, "hyp_memblock_nr", &nr);
	if (err)
		return err;
	err = hypmem_target_symbol_pa(t, "hyp_memory", &pa, &arr);
	if (err)
		return err;
	err = hypmem_dwarf_element_type(t->dw, &arr, &reg);
	if (err)
		return err;
	if ((err = hypmem_field_lookup(t, &reg, "base", true, &base)) ||
	    (err = hypmem_field_lookup(t, &reg, "size", true, &size)))
		return err;
	if (arr.nr_elements && nr > arr.nr_elements)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "hyp_memblock_nr is %" PRIu64 " but hyp_memory has %" PRIu64
					   " entries",
					   nr, arr.nr_elements);
	if (reg.size == 0 || reg.size > sizeof(buf))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "odd struct memblock_region size");
	t->ram = calloc(nr ? nr : 1, sizeof(*t->ram));
	if (!t->ram)
		return &hypmem_enomem;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t b, s;

		err = hypmem_source_read(t->src, buf, pa + i * reg.size, reg.size);
		if (err)
			return err;
		hypmem_field_get(&base, buf, reg.size, &b);
		hypmem_field_get(&size, buf, reg.size, &s);
		if (b + s < b)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "hyp_memory[%" PRIu64 "] wraps around", i);
		t->ram[t->info.nr_ram++] = (struct hypmem_ram_range){ b, b + s };
	}
	t->info.ram = t->ram;
	return NULL;
}

static struct hypmem_error *read_hyp_pgtable(struct hypmem_target *t)
{
	struct hypmem_field ia_bits, start_level, pgd;
	struct hypmem_type type;
	struct hypmem_error *err;
	uint8_t buf[256];
	uint64_t pa, v;

	err = hypmem_target_symbol_pa(t, "pkvm_pgtable", &pa, &type);
	if (err)
		return err;
	if ((err = hypmem_field_lookup(t, &type, "ia_bits", true, &ia_bits)) ||
	    (err = hypmem_field_lookup(t, &type, "start_level", true, &start_level)) ||
	    (err = hypmem_field_lookup(t, &type, "pgd", true, &pgd)))
		return err;
	if (type.size == 0 || type.size > sizeof(buf))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "odd struct kvm_pgtable size");
	err = hypmem_source_read(t->src, buf, pa, type.size);
	if (err)
		return err;
	hypmem_field_get(&ia_bits, buf, type.size, &v);
	t->info.hyp_ia_bits = (uint32_t)v;
	hypmem_field_get(&start_level, buf, type.size, &v);
	t->info.hyp_start_level = (int)(int64_t)v;
	hypmem_field_get(&pgd, buf, type.size, &v);
	t->info.hyp_pgd = v;
	if (t->info.hyp_ia_bits < 25 || t->info.hyp_ia_bits > 52 ||
	    t->info.hyp_start_level < -1 || t->info.hyp_start_level > 3)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "pkvm_pgtable looks corrupt: ia_bits %u, start_level %d",
					   t->info.hyp_ia_bits, t->info.hyp_start_level);
	/* The PGD comes from the hyp's own pool: a linear-map VA. */
	t->hyp_pgd_pa = hypmem_target_hyp_linear_to_pa(t, t->info.hyp_pgd);
	return NULL;
}

/* The hyp's translation parameters, read through the kernel image mapping. */
static struct hypmem_error *read_hyp_state(struct hypmem_target *t)
{
	struct hypmem_error *err;
	uint64_t v;

	err = read_int_var(t, "hyp_physvirt_offset", &v);
	if (err)
		return err;
	t->info.hyp_physvirt_offset = (int64_t)v;
	err = read_int_var(t, "__hyp_vmemmap", &t->info.vmemmap_base);
	if (err)
		return err;
	err = read_int_var(t, "__io_map_base", &t->info.io_map_base);
	if (err && !hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP))
		return err;
	err = read_hyp_pgtable(t);
	if (err)
		return err;
	return read_hyp_memory(t);
}

/*
 * A raw image says nothing of its own length: it is cut short when the RAM
 * range (hyp_memory) holding its last byte goes on past it.
 */
static struct hypmem_error *raw_cut_short(struct hypmem_target *t)
{
	const struct hypmem_segment *s;
	size_t nr;
	uint64_t end;

	if (hypmem_source_kind(t->src) != HYPMEM_SOURCE_RAW)
		return NULL;
	s = hypmem_source_segments(t->src, &nr);
	if (nr != 1)
		return NULL;
	end = s->phys_start + s->size;
	for (size_t i = 0; i < t->info.nr_ram; i++) {
		const struct hypmem_ram_range *r = &t->ram[i];

		if (r->start < end && r->end > end)
			return hypmem_findings_add(
			    &t->findings, HYPMEM_FINDING_DUMP_TRUNCATED, end,
			    "the raw image is cut short: it ends at PA 0x%" PRIx64
			    " inside RAM range 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64
			    " bytes missing)",
			    end, r->start, r->end - 1, r->end - end);
	}
	return NULL;
}

/* A dump cut short: one finding per range its headers claim but its bytes lack. */
static struct hypmem_error *report_missing(struct hypmem_target *t)
{
	size_t nr;
	const struct hypmem_segment *m = hypmem_source_missing(t->src, &nr);

	for (size_t i = 0; i < nr; i++) {
		struct hypmem_error *err = hypmem_findings_add(
		    &t->findings, HYPMEM_FINDING_DUMP_TRUNCATED, m[i].phys_start,
		    "the dump is cut short: PA 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64
		    " bytes) is described but not in the file",
		    m[i].phys_start, m[i].phys_start + m[i].size - 1, m[i].size);

		if (err)
			return err;
	}
	return NULL;
}

static struct hypmem_error *target_setup(struct hypmem_target *t,
					 const struct hypmem_target_config *cfg)
{
	struct hypmem_error *err;
	const char *text;
	uint64_t v;
	/* A caller-built source (tests, fuzzing, live RAM) is trusted to be the image's. */
	bool check_identity = !t->src && !cfg->force;

	if (cfg->dwarf) {
		t->dw = cfg->dwarf;
		t->dw_borrowed = true;
	} else {
		err = hypmem_dwarf_open(cfg->vmlinux, &t->dw);
		if (err)
			return err;
	}
	err = hypmem_dwarf_check_pkvm(t->dw);
	if (err)
		return err;
	if (t->src) {
		/* given by the caller */
	} else if (cfg->raw_spec) {
		char *path;

		err = hypmem_source_parse_raw_spec(cfg->raw_spec, &path, &v);
		if (err)
			return err;
		err = hypmem_source_open_raw(path, v, &t->src);
		free(path);
	} else if (cfg->core) {
		err = hypmem_source_open(cfg->core, &t->src);
	} else {
		err = hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "no dump given");
	}
	if (err)
		return err;
	err = report_missing(t);
	if (err)
		return err;

	text = hypmem_source_vmcoreinfo(t->src);
	if (text) {
		err = hypmem_vmcoreinfo_parse(text, &t->vmci);
		if (err)
			return err;
	} else if (cfg->raw_spec) {
		/* A raw image: the kernel's own note may be in RAM. */
		char *found;

		err = hypmem_vmcoreinfo_find_in_ram(t->src, &found, NULL);
		if (err)
			return err;
		if (found) {
			err = hypmem_vmcoreinfo_parse(found, &t->vmci);
			free(found);
			/* A page that only looks like the note is no reason to stop. */
			if (err && err != &hypmem_enomem) {
				hypmem_error_destroy(err);
				err = NULL;
				t->vmci = NULL;
			}
			if (err)
				return err;
		}
	}
	/* The granule: VMCOREINFO's PAGESIZE, else 4K (a raw dump of 4K kernels). */
	t->info.page_size = 4096;
	if (t->vmci && !hypmem_vmcoreinfo_number(t->vmci, "PAGESIZE", &v))
		t->info.page_size = v;
	t->info.page_shift = t->info.page_size && !(t->info.page_size & (t->info.page_size - 1)) ?
				     (unsigned int)__builtin_ctzll(t->info.page_size) :
				     0;
	if (!granule_ok(t->info.page_shift))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "page size %" PRIu64 " is not an arm64 granule "
					   "(4K, 16K or 64K)",
					   t->info.page_size);
	t->release = strdup(t->vmci && hypmem_vmcoreinfo_get(t->vmci, "OSRELEASE") ?
				    hypmem_vmcoreinfo_get(t->vmci, "OSRELEASE") :
				    "unknown");
	if (!t->release)
		return &hypmem_enomem;
	t->info.release = t->release;
	t->info.source = hypmem_source_kind_name(hypmem_source_kind(t->src));

	if (cfg->kaslr_offset_set) {
		t->info.kaslr_offset = cfg->kaslr_offset;
		t->info.kaslr_from_user = true;
	} else if (t->vmci && !hypmem_vmcoreinfo_kerneloffset(t->vmci, &v)) {
		t->info.kaslr_offset = v;
	}
	err = find_kimage_voffset(t, cfg);
	if (err)
		return err;
	if (check_identity) {
		struct hypmem_identity id;

		size_t nr_missing = 0;

		err = hypmem_target_identity(t, &id);
		if (err)
			return err;
		/*
		 * A dump cut short may lack the kernel's text: then the cut is
		 * the news (reported below), not a wrong vmlinux.
		 */
		hypmem_source_missing(t->src, &nr_missing);
		if (id.mismatch && !(id.text_unreadable && nr_missing))
			return hypmem_error_create(
			    HYPMEM_ERROR_FORMAT,
			    "%s does not match this dump: %s%s (give the dump's vmlinux, "
			    "or --force to go on anyway)",
			    hypmem_dwarf_path(t->dw), id.reason,
			    !t->vmci && !cfg->kaslr_offset_set
				    ? "; without VMCOREINFO, --kaslr-offset may be missing"
			    : cfg->kaslr_offset_set ? "; or --kaslr-offset is wrong"
						    : "");
	}
	err = read_hyp_state(t);
	if (!err)
		err = raw_cut_short(t);
	if (err && err != &hypmem_enomem && !t->vmci && !cfg->kaslr_offset_set) {
		/* A raw ramdump: every symbol moved by an unknown KASLR offset. */
		struct hypmem_error *hint = hypmem_error_create(
		    err->code,
		    "%s (the dump has no VMCOREINFO, so no KASLR offset was applied: if the "
		    "kernel ran with KASLR, give --kaslr-offset)",
		    err->message);

		hypmem_error_destroy(err);
		err = hint;
	}
	return err;
}

struct hypmem_error *hypmem_target_open(const struct hypmem_target_config *cfg,
					struct hypmem_target **ret)
{
	return hypmem_target_open_source(cfg, NULL, ret);
}

struct hypmem_error *hypmem_target_open_source(const struct hypmem_target_config *cfg,
					       struct hypmem_source *src,
					       struct hypmem_target **ret)
{
	struct hypmem_target *t;
	struct hypmem_error *err;

	if (!cfg->vmlinux && !cfg->dwarf) {
		hypmem_source_destroy(src);
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "no image (vmlinux) given");
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		hypmem_source_destroy(src);
		return &hypmem_enomem;
	}
	t->src = src;
	hypmem_findings_init(&t->findings);
	err = target_setup(t, cfg);
	if (err) {
		hypmem_target_destroy(t);
		return err;
	}
	*ret = t;
	return NULL;
}

void hypmem_target_destroy(struct hypmem_target *t)
{
	if (!t)
		return;
	hypmem_findings_deinit(&t->findings);
	hypmem_vmcoreinfo_destroy(t->vmci);
	hypmem_source_destroy(t->src);
	if (!t->dw_borrowed)
		hypmem_dwarf_destroy(t->dw);
	free(t->hp_layout);
	free(t->ram);
	free(t->release);
	free(t);
}
