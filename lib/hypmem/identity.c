// SPDX-License-Identifier: GPL-2.0-only
/* Which kernel is this?  The image against the dump (identity.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/identity.h"
#include "hypmem/vmcoreinfo.h"

#define BANNER_MAX 512
#define WINDOW	   16

/* The release: the word after "Linux version " in a banner. */
static void banner_release(const char *banner, char *buf, size_t len)
{
	static const char prefix[] = "Linux version ";
	size_t n = 0;

	buf[0] = '\0';
	if (strncmp(banner, prefix, sizeof(prefix) - 1))
		return;
	banner += sizeof(prefix) - 1;
	while (banner[n] && banner[n] != ' ' && n + 1 < len)
		n++;
	memcpy(buf, banner, n);
	buf[n] = '\0';
}

static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static const char *or_unknown(const char *s)
{
	return *s ? s : "unknown";
}

static void describe(char *buf, size_t len, const char *release, const char *build_id)
{
	if (*build_id)
		snprintf(buf, len, "%s (build ID %.16s)", or_unknown(release), build_id);
	else
		snprintf(buf, len, "%s", or_unknown(release));
}

/* .text windows, file against dump. */
static void sample_text(struct hypmem_target *t, struct hypmem_identity *id)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	uint8_t a[WINDOW], b[WINDOW];
	uint64_t start, size;

	if (!hypmem_dwarf_section(dw, ".text", &start, &size) || size < WINDOW * 4)
		return;
	for (unsigned int i = 0; i < HYPMEM_IDENTITY_SAMPLES; i++) {
		/* Spread over the section, off page boundaries. */
		uint64_t va =
		    start + (size - WINDOW) / HYPMEM_IDENTITY_SAMPLES * i + 0x10 * (i % 7);
		struct hypmem_error *err;
		uint64_t pa;

		va &= ~7ULL;
		if (va + WINDOW > start + size)
			continue;
		id->samples++;
		err = hypmem_dwarf_image_read(dw, va, a, WINDOW);
		if (!err)
			err = hypmem_target_kva_to_pa(t, va, &pa);
		if (!err)
			err = hypmem_target_read(t, b, pa, WINDOW);
		if (err) {
			hypmem_error_destroy(err);
			continue;
		}
		id->readable++;
		if (!memcmp(a, b, WINDOW))
			id->matching++;
	}
}

struct hypmem_error *hypmem_target_identity(struct hypmem_target *t, struct hypmem_identity *id)
{
	const struct hypmem_vmcoreinfo *vmci = hypmem_target_vmcoreinfo(t);
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	char file_banner[BANNER_MAX] = "", dump_banner[BANNER_MAX] = "";
	char mine[200], theirs[200];
	const char *v;
	uint64_t va = 0, size = 0, pa;
	struct hypmem_error *err;
	bool have_banner = false, same_build;

	memset(id, 0, sizeof(*id));
	id->dump_release_from = "";
	hypmem_dwarf_build_id(dw, id->image_build_id, sizeof(id->image_build_id));
	err = hypmem_dwarf_find_symbol(dw, "linux_banner", &va, &size);
	if (!err && size) {
		size_t n = size < BANNER_MAX - 1 ? size : BANNER_MAX - 1;

		err = hypmem_dwarf_image_read(dw, va, file_banner, n);
		if (!err) {
			file_banner[n] = '\0';
			have_banner = true;
			banner_release(file_banner, id->image_release, sizeof(id->image_release));
			/* The dump's copy, through the symbol (KASLR and kimage_voffset applied). */
			err = hypmem_target_kva_to_pa(t, va, &pa);
			if (!err)
				err = hypmem_target_read(t, dump_banner, pa, n);
			if (!err)
				dump_banner[n] = '\0';
			else
				dump_banner[0] = '\0';
		}
	}
	hypmem_error_destroy(err);
	if (vmci && (v = hypmem_vmcoreinfo_get(vmci, "OSRELEASE"))) {
		snprintf(id->dump_release, sizeof(id->dump_release), "%s", v);
		id->dump_release_from = "VMCOREINFO";
	} else if (dump_banner[0]) {
		banner_release(dump_banner, id->dump_release, sizeof(id->dump_release));
		if (id->dump_release[0])
			id->dump_release_from = "linux_banner";
	}
	if (vmci && (v = hypmem_vmcoreinfo_get(vmci, "BUILD-ID")))
		snprintf(id->dump_build_id, sizeof(id->dump_build_id), "%s", v);
	printable(id->dump_release);
	printable(id->dump_build_id);
	sample_text(t, id);

	describe(mine, sizeof(mine), id->image_release, id->image_build_id);
	describe(theirs, sizeof(theirs), id->dump_release, id->dump_build_id);
	same_build = id->image_build_id[0] && id->dump_build_id[0] &&
		     !strcasecmp(id->image_build_id, id->dump_build_id);
	if (id->image_build_id[0] && id->dump_build_id[0] && !same_build) {
		id->mismatch = true;
		snprintf(id->reason, sizeof(id->reason), "the dump is of %s, the image is %s",
			 theirs, mine);
	} else if (!same_build && id->image_release[0] && id->dump_release[0] &&
		   strcmp(id->image_release, id->dump_release)) {
		id->mismatch = true;
		snprintf(id->reason, sizeof(id->reason), "the dump is of %s (%s), the image is %s",
			 theirs, id->dump_release_from, mine);
	} else if (!same_build && have_banner && dump_banner[0] &&
		   strcmp(file_banner, dump_banner) &&
		   !strncmp(dump_banner, "Linux version ", 14)) {
		id->mismatch = true;
		snprintf(id->reason, sizeof(id->reason),
			 "the dump's linux_banner differs from the image's (dump: %.120s)",
			 dump_banner);
		printable(id->reason);
	} else if (id->samples >= 8 && id->readable * 2 < id->samples) {
		/* The right build (or unknown) whose code is not where we look. */
		id->mismatch = true;
		id->text_unreadable = true;
		snprintf(id->reason, sizeof(id->reason),
			 "the image (%s) has its .text outside the dump of %s at the addresses the "
			 "KASLR offset and kimage_voffset give (%u of %u samples readable)",
			 mine, theirs, id->readable, id->samples);
	} else if (id->readable >= 8 && id->matching * 4 < id->readable * 3) {
		id->mismatch = true;
		if (same_build)
			snprintf(
			    id->reason, sizeof(id->reason),
			    "the dump is of the image's build (%s), but only %u of %u samples of "
			    "its .text are where the KASLR offset and kimage_voffset put them",
			    mine, id->matching, id->readable);
		else
			snprintf(id->reason, sizeof(id->reason),
				 "the dump is of %s, the image is %s, and only %u of %u samples of "
				 "the image's .text are the same in the dump",
				 theirs, mine, id->matching, id->readable);
	}
	return NULL;
}

/*
 * The kernel keeps its VMCOREINFO as an ELF note (name "VMCOREINFO", type
 * 0) at the start of pages it allocates for it (the note, and the text
 * alone in another page), so a raw image of RAM holds it even without a
 * dump header.  Only page starts are read: one small read per 4K page.
 */
#define NOTE_NAME     "VMCOREINFO"
#define NOTE_HDR      24 /* namesz, descsz, type, "VMCOREINFO\0" padded to 4 */
#define NOTE_DESC_MAX 65536
#define SCAN_STEP     4096

static bool text_ok(const char *p, size_t n)
{
	return n > 10 && !memcmp(p, "OSRELEASE=", 10);
}

struct hypmem_error *hypmem_vmcoreinfo_find_in_ram(struct hypmem_source *src, char **ret,
						   uint64_t *pa_ret)
{
	const struct hypmem_segment *segs;
	size_t nr;

	*ret = NULL;
	segs = hypmem_source_segments(src, &nr);
	for (size_t i = 0; i < nr; i++) {
		uint64_t pa = (segs[i].phys_start + SCAN_STEP - 1) & ~(uint64_t)(SCAN_STEP - 1);

		for (; pa + NOTE_HDR + 16 <= segs[i].phys_start + segs[i].size; pa += SCAN_STEP) {
			uint8_t hdr[NOTE_HDR + 16];
			uint32_t namesz, descsz, type;
			struct hypmem_error *err = hypmem_source_read(src, hdr, pa, sizeof(hdr));
			char *text;

			if (err) {
				hypmem_error_destroy(err);
				continue;
			}
			namesz = (uint32_t)hypmem_load_le(hdr, 4);
			descsz = (uint32_t)hypmem_load_le(hdr + 4, 4);
			type = (uint32_t)hypmem_load_le(hdr + 8, 4);
			if (namesz != sizeof(NOTE_NAME) || type ||
			    memcmp(hdr + 12, NOTE_NAME, namesz) || descsz <= 10 ||
			    descsz > NOTE_DESC_MAX || !text_ok((const char *)hdr + NOTE_HDR, 16))
				continue;
			text = malloc(descsz + 1);
			if (!text)
				return &hypmem_enomem;
			err = hypmem_source_read(src, text, pa + NOTE_HDR, descsz);
			if (err) {
				free(text);
				hypmem_error_destroy(err);
				continue;
			}
			text[descsz] = '\0';
			*ret = text;
			if (pa_ret)
				*pa_ret = pa;
			return NULL;
		}
	}
	return NULL;
}
