/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Does this image belong to this dump?  Four pieces of evidence, each used
 * when both sides have it:
 *  - the GNU build ID of the image file and VMCOREINFO's BUILD-ID;
 *  - the release in the image's linux_banner and VMCOREINFO's OSRELEASE;
 *  - linux_banner as the image file holds it and as the dump holds it at
 *    the symbol's address (what a raw dump without VMCOREINFO has);
 *  - samples of the image's .text, file against dump: the code the kernel
 *    runs is the image's, except for the few words patched at boot
 *    (alternatives, static keys): 16-byte windows, 87-94% of them equal
 *    for the right Debian kernels, 100% for the EL2 image; under 75% is
 *    another build (47% for an EL2 image of another hyp_page layout, near
 *    0 for another kernel) or a wrong KASLR offset.
 * Equal build IDs decide alone.
 * hypmem_target_open() refuses a mismatch unless cfg->force is set.
 */
#ifndef HYPMEM_IDENTITY_H
#define HYPMEM_IDENTITY_H

#include "hypmem/source.h"
#include "hypmem/target.h"

#define HYPMEM_IDENTITY_SAMPLES 64

struct hypmem_identity {
	char image_release[80], dump_release[80];     /* "" when unknown */
	char image_build_id[130], dump_build_id[130]; /* hex, "" when unknown */
	const char *dump_release_from;		      /* "VMCOREINFO", "linux_banner" or "" */
	unsigned int samples, readable, matching;     /* .text windows */
	bool mismatch;
	bool text_unreadable; /* @mismatch only because most samples could not be read */
	char reason[640]; /* why, naming both sides, when @mismatch */
};

/**
 * hypmem_target_identity() - Compare the target's image with its dump.
 * @t: the target (translation parameters set; the hyp state need not be).
 * @ret: filled.
 *
 * Return: NULL, or an error other than "not in the dump" (out of memory).
 */
struct hypmem_error *hypmem_target_identity(struct hypmem_target *t, struct hypmem_identity *ret);

/**
 * hypmem_vmcoreinfo_find_in_ram() - Find the kernel's VMCOREINFO note in
 * the memory of @src (a raw image has no dump header to carry it).
 * @src: the source.
 * @ret: the note's text (malloc()ed; the caller frees), or NULL if none.
 * @pa_ret: where the note starts (may be NULL).
 *
 * Return: NULL, or &hypmem_enomem.
 */
struct hypmem_error *hypmem_vmcoreinfo_find_in_ram(struct hypmem_source *src, char **ret,
						   uint64_t *pa_ret);

#endif /* HYPMEM_IDENTITY_H */
