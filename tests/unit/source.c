// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the sources (include/hypmem/source.h): ELF cores, raw
 * images, caller memory, and the format detection in front of them.
 *
 * The ELF cores are written here by hand, field by field with <elf.h>'s
 * structs, into temporary files; every expected byte, address and note
 * text is what the test itself wrote, never something read back through
 * the code under test.  The malformed files are the same core with one
 * field broken.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypmem/error.h"
#include "hypmem/source.h"
#include "test.h"

/* --- helpers --- */

static void check_contains(const char *haystack, const char *needle, int line)
{
	if (!haystack || !strstr(haystack, needle)) {
		test_failed_checks++;
		printf("#   %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, line,
		       haystack ? haystack : "(null)", needle);
	}
}

/* The call fails with @code and, if @needle, a message containing it. */
static void check_err(struct hypmem_error *err, enum hypmem_error_code code, int line,
		      const char *needle)
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
	if (needle)
		check_contains(err->message, needle, line);
	hypmem_error_destroy(err);
}
#define CHECK_ERR(expr, code, needle) check_err((expr), (code), __LINE__, (needle))

/* A FAULT error whose first missing address is @addr. */
static void check_fault(struct hypmem_error *err, uint64_t addr, int line)
{
	if (!err || err->code != HYPMEM_ERROR_FAULT || !err->has_address || err->address != addr) {
		test_failed_checks++;
		printf("#   %s:%d: expected FAULT at 0x%" PRIx64 ", got %s", __FILE__, line, addr,
		       err ? hypmem_error_name(err->code) : "success");
		if (err && err->has_address)
			printf(" at 0x%" PRIx64, err->address);
		printf("%s%s\n", err ? ": " : "", err ? err->message : "");
	}
	hypmem_error_destroy(err);
}
#define CHECK_FAULT(expr, addr) check_fault((expr), (addr), __LINE__)

/* Write @len bytes to a new temporary file; returns its malloc()ed path. */
static char *temp_file(const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (asprintf(&path, "%s/hypmem-source-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
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

static void remove_temp(char *path)
{
	if (path)
		unlink(path);
	free(path);
}

/* Deterministic filler: no two nearby bytes alike, never all zero. */
static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)((x >> 16) | 1);
	}
}

/* --- a hand-made ELF core --- */

/*
 * Three PT_LOAD segments, written out of address order and with their data
 * out of file order: A and B are contiguous in physical memory (B's bytes
 * sit after C's in the file), then a gap, then C whose memsz is twice its
 * filesz.  A PT_NOTE comes first with a CORE note and then VMCOREINFO.
 */
#define SEG_A_PA  0x40000000ULL
#define SEG_A_SZ  0x1000ULL
#define SEG_A_OFF 0x1000ULL
#define SEG_B_PA  (SEG_A_PA + SEG_A_SZ)
#define SEG_B_SZ  0x800ULL
#define SEG_B_OFF 0x3000ULL
#define SEG_C_PA  0x40010000ULL
#define SEG_C_VA  0xffff800000010000ULL
#define SEG_C_FSZ 0x1000ULL
#define SEG_C_MSZ 0x2000ULL
#define SEG_C_OFF 0x2000ULL
#define NOTE_OFF  0x200ULL
#define CORE_SIZE (SEG_B_OFF + SEG_B_SZ)

static const char vmcoreinfo_text[] = "OSRELEASE=6.1.0-hypmem\n"
				      "PAGESIZE=4096\n"
				      "NUMBER(VA_BITS)=48\n"
				      "KERNELOFFSET=0\n";

enum core_fault {
	CORE_OK,
	CORE_TRUNCATED,	     /* file ends inside segment B's data */
	CORE_OVERLAP,	     /* B starts inside A */
	CORE_NOTE_NAMESZ,    /* VMCOREINFO's namesz runs past the PT_NOTE */
	CORE_NOTE_DESCSZ,    /* VMCOREINFO's descsz runs past the PT_NOTE */
	CORE_EXEC,	     /* e_type ET_EXEC */
	CORE_CLASS32,	     /* e_ident says ELFCLASS32 */
	CORE_BIG_ENDIAN,     /* e_ident says ELFDATA2MSB */
	CORE_FILESZ,	     /* A's filesz > memsz */
	CORE_NO_LOAD,	     /* only the PT_NOTE */
	CORE_NO_NOTE,	     /* no PT_NOTE at all */
	CORE_PHDRS_PAST_EOF, /* e_phoff near the end of the file */
};

struct core {
	uint8_t *buf;
	size_t size; /* bytes written to the file */
	size_t note_len;
};

/* Append one note at @pos; returns the position after it. */
static size_t put_note(uint8_t *buf, size_t pos, const char *name, uint32_t type, const void *desc,
		       uint32_t descsz, uint32_t namesz_field, uint32_t descsz_field)
{
	Elf64_Nhdr nh = {
	    .n_namesz = namesz_field,
	    .n_descsz = descsz_field,
	    .n_type = type,
	};
	size_t namesz = strlen(name) + 1;

	memcpy(buf + pos, &nh, sizeof(nh));
	pos += sizeof(nh);
	memcpy(buf + pos, name, namesz);
	pos += (namesz + 3) & ~(size_t)3;
	memcpy(buf + pos, desc, descsz);
	pos += (descsz + 3) & ~(size_t)3;
	return pos;
}

static void build_core(struct core *c, enum core_fault fault)
{
	static const uint8_t prstatus[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
	uint32_t vsz = (uint32_t)strlen(vmcoreinfo_text);
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph[4] = {0};
	size_t nph = 0, pos;

	c->buf = calloc(1, CORE_SIZE);
	c->size = CORE_SIZE;
	if (!c->buf)
		return;
	fill(c->buf + SEG_A_OFF, CORE_SIZE - SEG_A_OFF, 1);

	/* Notes: a CORE note (odd desc size, so padding is exercised), then VMCOREINFO. */
	pos = put_note(c->buf, NOTE_OFF, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus), 5,
		       sizeof(prstatus));
	pos = put_note(c->buf, pos, "VMCOREINFO", 0, vmcoreinfo_text, vsz,
		       fault == CORE_NOTE_NAMESZ ? 0x10000 : 11,
		       fault == CORE_NOTE_DESCSZ ? 0x10000 : vsz);
	c->note_len = pos - NOTE_OFF;

	if (fault != CORE_NO_NOTE)
		ph[nph++] = (Elf64_Phdr){
		    .p_type = PT_NOTE,
		    .p_offset = NOTE_OFF,
		    .p_filesz = c->note_len,
		};
	if (fault != CORE_NO_LOAD) {
		ph[nph++] = (Elf64_Phdr){
		    .p_type = PT_LOAD,
		    .p_flags = PF_R | PF_W | PF_X,
		    .p_offset = SEG_C_OFF,
		    .p_vaddr = SEG_C_VA,
		    .p_paddr = SEG_C_PA,
		    .p_filesz = SEG_C_FSZ,
		    .p_memsz = SEG_C_MSZ,
		    .p_align = 0x1000,
		};
		ph[nph++] = (Elf64_Phdr){
		    .p_type = PT_LOAD,
		    .p_flags = PF_R | PF_W | PF_X,
		    .p_offset = SEG_B_OFF,
		    .p_vaddr = fault == CORE_OVERLAP ? SEG_A_PA + 0x800 : SEG_B_PA,
		    .p_paddr = fault == CORE_OVERLAP ? SEG_A_PA + 0x800 : SEG_B_PA,
		    .p_filesz = SEG_B_SZ,
		    .p_memsz = SEG_B_SZ,
		    .p_align = 0x1000,
		};
		ph[nph++] = (Elf64_Phdr){
		    .p_type = PT_LOAD,
		    .p_flags = PF_R | PF_W | PF_X,
		    .p_offset = SEG_A_OFF,
		    .p_vaddr = SEG_A_PA,
		    .p_paddr = SEG_A_PA,
		    .p_filesz = fault == CORE_FILESZ ? SEG_A_SZ + 0x800 : SEG_A_SZ,
		    .p_memsz = SEG_A_SZ,
		    .p_align = 0x1000,
		};
	}

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = fault == CORE_CLASS32 ? ELFCLASS32 : ELFCLASS64;
	eh.e_ident[EI_DATA] = fault == CORE_BIG_ENDIAN ? ELFDATA2MSB : ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = fault == CORE_EXEC ? ET_EXEC : ET_CORE;
	eh.e_machine = EM_AARCH64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = fault == CORE_PHDRS_PAST_EOF ? CORE_SIZE - sizeof(Elf64_Phdr) : sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)nph;
	memcpy(c->buf, &eh, sizeof(eh));
	if (fault != CORE_PHDRS_PAST_EOF)
		memcpy(c->buf + sizeof(eh), ph, nph * sizeof(ph[0]));
	if (fault == CORE_TRUNCATED)
		c->size = SEG_B_OFF + SEG_B_SZ / 2;
}

/* The bytes the core holds at physical address @pa (0 past filesz). */
static uint8_t core_byte(const struct core *c, uint64_t pa)
{
	if (pa >= SEG_A_PA && pa < SEG_A_PA + SEG_A_SZ)
		return c->buf[SEG_A_OFF + (pa - SEG_A_PA)];
	if (pa >= SEG_B_PA && pa < SEG_B_PA + SEG_B_SZ)
		return c->buf[SEG_B_OFF + (pa - SEG_B_PA)];
	if (pa >= SEG_C_PA && pa < SEG_C_PA + SEG_C_FSZ)
		return c->buf[SEG_C_OFF + (pa - SEG_C_PA)];
	return 0;
}

/* Every byte of @buf is what the core holds at @pa onwards. */
static bool core_matches(const struct core *c, const uint8_t *buf, uint64_t pa, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != core_byte(c, pa + i)) {
			printf("#   byte at 0x%" PRIx64 ": 0x%02x, wrote 0x%02x\n", pa + i, buf[i],
			       core_byte(c, pa + i));
			return false;
		}
	}
	return true;
}

static char *write_core(struct core *c, enum core_fault fault)
{
	build_core(c, fault);
	return c->buf ? temp_file(c->buf, c->size) : NULL;
}

/* Opening the core with @fault fails with FORMAT naming @needle. */
static void check_bad_core(enum core_fault fault, const char *needle, int line)
{
	struct hypmem_source *src = NULL;
	struct core c;
	char *path = write_core(&c, fault);

	if (!path) {
		test_failed_checks++;
		printf("#   %s:%d: cannot write the core\n", __FILE__, line);
		free(c.buf);
		return;
	}
	check_err(hypmem_source_open(path, &src), HYPMEM_ERROR_FORMAT, line, needle);
	remove_temp(path);
	free(c.buf);
}
#define CHECK_BAD_CORE(fault, needle) check_bad_core((fault), (needle), __LINE__)

/* --- ELF cores --- */

TEST(elf_open_and_segments)
{
	struct hypmem_source *src = NULL;
	const struct hypmem_segment *segs;
	struct core c;
	char *path = write_core(&c, CORE_OK);
	size_t nr = 0;

	REQUIRE(path);
	if (!CHECK_NO_ERR(hypmem_source_open(path, &src)))
		goto out;
	CHECK_EQ_U64(hypmem_source_kind(src), HYPMEM_SOURCE_ELF);
	CHECK_STR(hypmem_source_kind_name(hypmem_source_kind(src)), "elf");
	segs = hypmem_source_segments(src, &nr);
	CHECK_EQ_U64(nr, 3);
	if (nr == 3) {
		CHECK_EQ_U64(segs[0].phys_start, SEG_A_PA);
		CHECK_EQ_U64(segs[0].size, SEG_A_SZ);
		CHECK_EQ_U64(segs[0].virt_start, 0); /* p_vaddr == p_paddr */
		CHECK_EQ_U64(segs[1].phys_start, SEG_B_PA);
		CHECK_EQ_U64(segs[1].size, SEG_B_SZ);
		CHECK_EQ_U64(segs[2].phys_start, SEG_C_PA);
		CHECK_EQ_U64(segs[2].size, SEG_C_MSZ);
		CHECK_EQ_U64(segs[2].virt_start, SEG_C_VA);
	}
	CHECK_STR(hypmem_source_vmcoreinfo(src), vmcoreinfo_text);
	hypmem_source_destroy(src);
out:
	remove_temp(path);
	free(c.buf);
	hypmem_source_destroy(NULL);
}

TEST(elf_reads)
{
	struct hypmem_source *src = NULL;
	uint8_t buf[0x2000];
	struct core c;
	char *path = write_core(&c, CORE_OK);

	REQUIRE(path);
	if (!CHECK_NO_ERR(hypmem_source_open(path, &src)))
		goto out;
	/* Inside one segment, each segment. */
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, SEG_A_PA, 64)))
		CHECK(core_matches(&c, buf, SEG_A_PA, 64));
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, SEG_B_PA + 0x7f8, 8)))
		CHECK(core_matches(&c, buf, SEG_B_PA + 0x7f8, 8));
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, SEG_C_PA + 3, 100)))
		CHECK(core_matches(&c, buf, SEG_C_PA + 3, 100));
	/* Across the A/B boundary: two places in the file. */
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, SEG_B_PA - 16, 32)))
		CHECK(core_matches(&c, buf, SEG_B_PA - 16, 32));
	/* All of A and B at once. */
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, SEG_A_PA, SEG_A_SZ + SEG_B_SZ)))
		CHECK(core_matches(&c, buf, SEG_A_PA, SEG_A_SZ + SEG_B_SZ));
	/* Across C's filesz: file bytes, then zeroes. */
	memset(buf, 0xee, sizeof(buf));
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, SEG_C_PA + SEG_C_FSZ - 8, 16))) {
		CHECK(core_matches(&c, buf, SEG_C_PA + SEG_C_FSZ - 8, 8));
		for (int i = 8; i < 16; i++)
			CHECK_EQ_U64(buf[i], 0);
	}
	/* Wholly in the zero tail, up to the last byte. */
	memset(buf, 0xee, sizeof(buf));
	if (CHECK_NO_ERR(
		hypmem_source_read(src, buf, SEG_C_PA + SEG_C_FSZ, SEG_C_MSZ - SEG_C_FSZ))) {
		size_t nonzero = 0;

		for (size_t i = 0; i < SEG_C_MSZ - SEG_C_FSZ; i++)
			nonzero += buf[i] != 0;
		CHECK_EQ_U64(nonzero, 0);
	}
	CHECK_NO_ERR(hypmem_source_read(src, buf, 0x12345, 0));

	/* Holes: the first missing address is reported. */
	CHECK_FAULT(hypmem_source_read(src, buf, SEG_B_PA + SEG_B_SZ - 8, 16), SEG_B_PA + SEG_B_SZ);
	CHECK_FAULT(hypmem_source_read(src, buf, SEG_B_PA + SEG_B_SZ, 1), SEG_B_PA + SEG_B_SZ);
	CHECK_FAULT(hypmem_source_read(src, buf, SEG_C_PA - 4, 8), SEG_C_PA - 4);
	CHECK_FAULT(hypmem_source_read(src, buf, 0x20000000, 8), 0x20000000);
	CHECK_FAULT(hypmem_source_read(src, buf, SEG_C_PA + SEG_C_MSZ - 4, 8),
		    SEG_C_PA + SEG_C_MSZ);
	CHECK_FAULT(hypmem_source_read(src, buf, SEG_A_PA - 1, 2), SEG_A_PA - 1);
	/* A range that wraps around the address space is never held. */
	CHECK_ERR(hypmem_source_read(src, buf, UINT64_MAX - 3, 8), HYPMEM_ERROR_FAULT, NULL);

	/* contains() agrees. */
	CHECK(hypmem_source_contains(src, SEG_A_PA, SEG_A_SZ + SEG_B_SZ));
	CHECK(!hypmem_source_contains(src, SEG_A_PA, SEG_A_SZ + SEG_B_SZ + 1));
	CHECK(hypmem_source_contains(src, SEG_C_PA, SEG_C_MSZ));
	CHECK(!hypmem_source_contains(src, SEG_C_PA - 1, 2));
	CHECK(!hypmem_source_contains(src, SEG_C_PA, SEG_C_MSZ + 1));
	CHECK(!hypmem_source_contains(src, 0, 1));
	hypmem_source_destroy(src);
out:
	remove_temp(path);
	free(c.buf);
}

TEST(elf_views)
{
	struct hypmem_source *src = NULL;
	const void *v = NULL;
	struct core c;
	char *path = write_core(&c, CORE_OK);

	REQUIRE(path);
	if (!CHECK_NO_ERR(hypmem_source_open(path, &src)))
		goto out;
	if (CHECK_NO_ERR(hypmem_source_view(src, SEG_A_PA + 0x10, 0x100, &v)))
		CHECK(v && core_matches(&c, v, SEG_A_PA + 0x10, 0x100));
	if (CHECK_NO_ERR(hypmem_source_view(src, SEG_B_PA, SEG_B_SZ, &v)))
		CHECK(v && core_matches(&c, v, SEG_B_PA, SEG_B_SZ));
	/* The file-backed part of C, right up to filesz. */
	if (CHECK_NO_ERR(hypmem_source_view(src, SEG_C_PA, SEG_C_FSZ, &v)))
		CHECK(v && core_matches(&c, v, SEG_C_PA, SEG_C_FSZ));
	/* The zero tail, or a range reaching into it: no view. */
	CHECK_ERR(hypmem_source_view(src, SEG_C_PA + SEG_C_FSZ, 4, &v), HYPMEM_ERROR_LOOKUP, NULL);
	CHECK_ERR(hypmem_source_view(src, SEG_C_PA + SEG_C_FSZ - 4, 8, &v), HYPMEM_ERROR_LOOKUP,
		  NULL);
	/* Straddling two segments: no view (read() handles it). */
	CHECK_ERR(hypmem_source_view(src, SEG_B_PA - 4, 8, &v), HYPMEM_ERROR_LOOKUP, NULL);
	/* Not held at all. */
	CHECK_FAULT(hypmem_source_view(src, SEG_B_PA + SEG_B_SZ, 4, &v), SEG_B_PA + SEG_B_SZ);
	hypmem_source_destroy(src);
out:
	remove_temp(path);
	free(c.buf);
}

TEST(elf_without_vmcoreinfo)
{
	struct hypmem_source *src = NULL;
	struct core c;
	char *path = write_core(&c, CORE_NO_NOTE);
	size_t nr = 0;

	REQUIRE(path);
	if (CHECK_NO_ERR(hypmem_source_open(path, &src))) {
		CHECK(hypmem_source_vmcoreinfo(src) == NULL);
		hypmem_source_segments(src, &nr);
		CHECK_EQ_U64(nr, 3);
		hypmem_source_destroy(src);
	}
	remove_temp(path);
	free(c.buf);
}

/* A core cut inside segment B: B keeps its first half, the rest is missing. */
TEST(elf_cut_short)
{
	struct hypmem_source *src = NULL;
	struct hypmem_error *err;
	struct core c;
	char *path = write_core(&c, CORE_TRUNCATED);
	const struct hypmem_segment *m;
	uint8_t b[16];
	size_t nr = 0;

	REQUIRE(path);
	if (CHECK_NO_ERR(hypmem_source_open(path, &src))) {
		hypmem_source_segments(src, &nr);
		CHECK_EQ_U64(nr, 3);
		m = hypmem_source_missing(src, &nr);
		CHECK_EQ_U64(nr, 1);
		if (nr == 1) {
			CHECK_EQ_U64(m[0].phys_start, SEG_B_PA + SEG_B_SZ / 2);
			CHECK_EQ_U64(m[0].size, SEG_B_SZ / 2);
		}
		/* The present half reads its bytes, the missing half faults. */
		if (CHECK_NO_ERR(hypmem_source_read(src, b, SEG_B_PA + SEG_B_SZ / 2 - 8, 8)))
			CHECK(b[7] == core_byte(&c, SEG_B_PA + SEG_B_SZ / 2 - 1));
		err = hypmem_source_read(src, b, SEG_B_PA + SEG_B_SZ / 2 - 8, 16);
		CHECK(err && err->code == HYPMEM_ERROR_FAULT);
		hypmem_error_destroy(err);
		hypmem_source_destroy(src);
	}
	remove_temp(path);
	free(c.buf);
}

TEST(elf_malformed)
{
	CHECK_BAD_CORE(CORE_OVERLAP, "overlap");
	CHECK_BAD_CORE(CORE_NOTE_NAMESZ, "note");
	CHECK_BAD_CORE(CORE_NOTE_DESCSZ, "note");
	CHECK_BAD_CORE(CORE_EXEC, "not a core");
	CHECK_BAD_CORE(CORE_CLASS32, NULL);
	CHECK_BAD_CORE(CORE_BIG_ENDIAN, NULL);
	CHECK_BAD_CORE(CORE_FILESZ, "filesz");
	CHECK_BAD_CORE(CORE_NO_LOAD, "PT_LOAD");
	CHECK_BAD_CORE(CORE_PHDRS_PAST_EOF, "truncated");
}

TEST(detect_other_files)
{
	struct hypmem_source *src = NULL;
	struct hypmem_error *err;
	uint8_t junk[4096];
	char *path;

	/* Random bytes. */
	fill(junk, sizeof(junk), 7);
	REQUIRE(memcmp(junk, ELFMAG, SELFMAG) && memcmp(junk, "KDUMP", 5));
	path = temp_file(junk, sizeof(junk));
	REQUIRE(path);
	CHECK_ERR(hypmem_source_open(path, &src), HYPMEM_ERROR_FORMAT, path);
	remove_temp(path);

	/* The ELF magic, then random bytes. */
	memcpy(junk, ELFMAG, SELFMAG);
	path = temp_file(junk, sizeof(junk));
	REQUIRE(path);
	CHECK_ERR(hypmem_source_open(path, &src), HYPMEM_ERROR_FORMAT, path);
	remove_temp(path);

	/* Shorter than an ELF header's e_ident. */
	path = temp_file(ELFMAG, SELFMAG);
	REQUIRE(path);
	CHECK_ERR(hypmem_source_open(path, &src), HYPMEM_ERROR_FORMAT, path);
	remove_temp(path);

	/* Empty. */
	path = temp_file("", 0);
	REQUIRE(path);
	CHECK_ERR(hypmem_source_open(path, &src), HYPMEM_ERROR_FORMAT, path);
	remove_temp(path);

	/* Missing. */
	err = hypmem_source_open("/nonexistent/hypmem/vmcore", &src);
	REQUIRE(err);
	CHECK_EQ_U64(err->code, HYPMEM_ERROR_OS);
	CHECK_EQ_U64(err->errnum, ENOENT);
	hypmem_error_destroy(err);
}

/* A kdump signature in front of garbage: a clean error, whatever its kind. */
static void check_bad_kdump(const char *magic, size_t len, int line)
{
	struct hypmem_source *src = NULL;
	struct hypmem_error *err;
	uint8_t junk[8192];
	char *path;

	fill(junk, sizeof(junk), (uint32_t)line);
	memcpy(junk, magic, strlen(magic));
	path = temp_file(junk, len);
	if (!path) {
		test_failed_checks++;
		return;
	}
	err = hypmem_source_open(path, &src);
	if (!err) {
		test_failed_checks++;
		printf("#   %s:%d: a garbage \"%s\" file opened\n", __FILE__, line, magic);
		hypmem_source_destroy(src);
	} else {
		if (err->code != HYPMEM_ERROR_FORMAT && err->code != HYPMEM_ERROR_KDUMP) {
			test_failed_checks++;
			printf("#   %s:%d: \"%s\": %s: %s\n", __FILE__, line, magic,
			       hypmem_error_name(err->code), err->message);
		}
		check_contains(err->message, path, line);
		hypmem_error_destroy(err);
	}
	remove_temp(path);
}

TEST(kdump_garbage)
{
	check_bad_kdump("KDUMP   ", 8192, __LINE__);
	check_bad_kdump("KDUMP   ", 4096, __LINE__);
	check_bad_kdump("KDUMP   ", 8, __LINE__);
	check_bad_kdump("KDUMP   ", 20, __LINE__);
	check_bad_kdump("DISKDUMP", 8192, __LINE__);
	check_bad_kdump("makedumpfile", 8192, __LINE__);
}

/* --- raw images --- */

TEST(raw_spec)
{
	char *path = NULL;
	uint64_t base = 0;

	if (CHECK_NO_ERR(hypmem_source_parse_raw_spec("a.bin@0x80000000", &path, &base))) {
		CHECK_STR(path, "a.bin");
		CHECK_EQ_U64(base, 0x80000000ULL);
		free(path);
	}
	/* The last '@' separates: file names may contain one. */
	if (CHECK_NO_ERR(hypmem_source_parse_raw_spec("x@y@0x10", &path, &base))) {
		CHECK_STR(path, "x@y");
		CHECK_EQ_U64(base, 0x10);
		free(path);
	}
	if (CHECK_NO_ERR(hypmem_source_parse_raw_spec("/dumps/ram.img@1073741824", &path, &base))) {
		CHECK_STR(path, "/dumps/ram.img");
		CHECK_EQ_U64(base, 1073741824ULL);
		free(path);
	}
	if (CHECK_NO_ERR(hypmem_source_parse_raw_spec("f@0XFFFFFFFFFFFFF000", &path, &base))) {
		CHECK_STR(path, "f");
		CHECK_EQ_U64(base, 0xfffffffffffff000ULL);
		free(path);
	}
	if (CHECK_NO_ERR(hypmem_source_parse_raw_spec("f@0", &path, &base))) {
		CHECK_EQ_U64(base, 0);
		free(path);
	}
	/* Decimal means decimal: a leading zero is not octal. */
	if (CHECK_NO_ERR(hypmem_source_parse_raw_spec("f@010", &path, &base))) {
		CHECK_EQ_U64(base, 10);
		free(path);
	}

	path = (char *)&path;
	CHECK_ERR(hypmem_source_parse_raw_spec("nobase", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, "nobase");
	CHECK_ERR(hypmem_source_parse_raw_spec("f@", &path, &base), HYPMEM_ERROR_INVALID_ARGUMENT,
		  NULL);
	CHECK_ERR(hypmem_source_parse_raw_spec("@0x10", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, NULL);
	CHECK_ERR(hypmem_source_parse_raw_spec("f@-1", &path, &base), HYPMEM_ERROR_INVALID_ARGUMENT,
		  "-1");
	CHECK_ERR(hypmem_source_parse_raw_spec("f@ -1", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, NULL);
	CHECK_ERR(hypmem_source_parse_raw_spec("f@+16", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, NULL);
	CHECK_ERR(hypmem_source_parse_raw_spec("f@0xzz", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, "0xzz");
	CHECK_ERR(hypmem_source_parse_raw_spec("f@0x", &path, &base), HYPMEM_ERROR_INVALID_ARGUMENT,
		  NULL);
	CHECK_ERR(hypmem_source_parse_raw_spec("f@12k", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, NULL);
	CHECK_ERR(hypmem_source_parse_raw_spec("f@0x10000000000000000", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, NULL);
	CHECK_ERR(hypmem_source_parse_raw_spec("f@18446744073709551616", &path, &base),
		  HYPMEM_ERROR_INVALID_ARGUMENT, NULL);
	/* Nothing is handed out on failure. */
	CHECK(path == (char *)&path);
}

#define RAW_SIZE (1ULL << 20)

TEST(raw_image)
{
	const uint64_t base = 0x80000000ULL;
	struct hypmem_source *src = NULL;
	const struct hypmem_segment *segs;
	uint8_t *img = malloc(RAW_SIZE), buf[64];
	const void *v = NULL;
	char *path;
	size_t nr = 0;

	REQUIRE(img);
	fill(img, RAW_SIZE, 3);
	path = temp_file(img, RAW_SIZE);
	if (!path) {
		free(img);
		REQUIRE(path);
	}
	if (!CHECK_NO_ERR(hypmem_source_open_raw(path, base, &src)))
		goto out;
	CHECK_EQ_U64(hypmem_source_kind(src), HYPMEM_SOURCE_RAW);
	CHECK_STR(hypmem_source_kind_name(HYPMEM_SOURCE_RAW), "raw");
	CHECK(hypmem_source_vmcoreinfo(src) == NULL);
	segs = hypmem_source_segments(src, &nr);
	CHECK_EQ_U64(nr, 1);
	if (nr == 1) {
		CHECK_EQ_U64(segs[0].phys_start, base);
		CHECK_EQ_U64(segs[0].size, RAW_SIZE);
	}
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, base + 0x1234, sizeof(buf))))
		CHECK(!memcmp(buf, img + 0x1234, sizeof(buf)));
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, base + RAW_SIZE - 8, 8)))
		CHECK(!memcmp(buf, img + RAW_SIZE - 8, 8));
	if (CHECK_NO_ERR(hypmem_source_view(src, base, RAW_SIZE, &v)))
		CHECK(v && !memcmp(v, img, RAW_SIZE));
	CHECK_FAULT(hypmem_source_read(src, buf, base + RAW_SIZE - 8, 16), base + RAW_SIZE);
	CHECK_FAULT(hypmem_source_read(src, buf, base - 8, 16), base - 8);
	CHECK_FAULT(hypmem_source_view(src, base + RAW_SIZE, 1, &v), base + RAW_SIZE);
	CHECK_ERR(hypmem_source_view(src, base + RAW_SIZE - 8, 16, &v), HYPMEM_ERROR_LOOKUP, NULL);
	CHECK(hypmem_source_contains(src, base, RAW_SIZE));
	CHECK(!hypmem_source_contains(src, base, RAW_SIZE + 1));
	CHECK(!hypmem_source_contains(src, base - 1, 1));
	hypmem_source_destroy(src);

	/* Ending exactly at the top of the address space is fine... */
	src = NULL;
	if (CHECK_NO_ERR(hypmem_source_open_raw(path, 0ULL - RAW_SIZE, &src))) {
		if (CHECK_NO_ERR(hypmem_source_read(src, buf, UINT64_MAX, 1)))
			CHECK_EQ_U64(buf[0], img[RAW_SIZE - 1]);
		CHECK(hypmem_source_contains(src, UINT64_MAX, 1));
		CHECK(!hypmem_source_contains(src, UINT64_MAX, 2));
		CHECK_ERR(hypmem_source_read(src, buf, UINT64_MAX, 2), HYPMEM_ERROR_FAULT, NULL);
		hypmem_source_destroy(src);
	}
	/* ...wrapping around it is not. */
	CHECK_ERR(hypmem_source_open_raw(path, 0xffffffffffff0000ULL, &src), HYPMEM_ERROR_OVERFLOW,
		  path);
	CHECK_ERR(hypmem_source_open_raw(path, 1ULL - RAW_SIZE, &src), HYPMEM_ERROR_OVERFLOW, NULL);
out:
	remove_temp(path);
	free(img);
}

TEST(raw_errors)
{
	struct hypmem_source *src = NULL;
	struct hypmem_error *err;
	char *path;

	err = hypmem_source_open_raw("/nonexistent/hypmem/ram.img", 0, &src);
	REQUIRE(err);
	CHECK_EQ_U64(err->code, HYPMEM_ERROR_OS);
	CHECK_EQ_U64(err->errnum, ENOENT);
	hypmem_error_destroy(err);

	/* An empty image holds nothing: refused, not a zero-sized segment. */
	path = temp_file("", 0);
	REQUIRE(path);
	err = hypmem_source_open_raw(path, 0x1000, &src);
	CHECK(err != NULL);
	if (err)
		check_contains(err->message, path, __LINE__);
	else
		hypmem_source_destroy(src);
	hypmem_error_destroy(err);
	remove_temp(path);
}

/* --- caller memory --- */

TEST(memory_unsorted)
{
	static uint8_t d1[0x100], d2[0x80], d3[0x100];
	const struct hypmem_segment segs[] = {
	    {.phys_start = 0x3000, .size = sizeof(d3), .virt_start = 0xffff000000003000ULL},
	    {.phys_start = 0x1000, .size = sizeof(d1)},
	    {.phys_start = 0x1000 + sizeof(d1), .size = sizeof(d2)},
	};
	const void *const data[] = {d3, d1, d2};
	char text[] = "PAGESIZE=4096\n";
	struct hypmem_source *src = NULL;
	const struct hypmem_segment *got;
	uint8_t buf[0x40];
	const void *v;
	size_t nr = 0;

	fill(d1, sizeof(d1), 11);
	fill(d2, sizeof(d2), 12);
	fill(d3, sizeof(d3), 13);
	REQUIRE(CHECK_NO_ERR(hypmem_source_create_memory(segs, data, 3, text, &src)));
	text[0] = 'X'; /* the source keeps its own copy */
	CHECK_STR(hypmem_source_vmcoreinfo(src), "PAGESIZE=4096\n");
	CHECK_EQ_U64(hypmem_source_kind(src), HYPMEM_SOURCE_MEMORY);
	CHECK_STR(hypmem_source_kind_name(HYPMEM_SOURCE_MEMORY), "memory");
	got = hypmem_source_segments(src, &nr);
	REQUIRE(nr == 3);
	CHECK_EQ_U64(got[0].phys_start, 0x1000);
	CHECK_EQ_U64(got[0].size, sizeof(d1));
	CHECK_EQ_U64(got[1].phys_start, 0x1000 + sizeof(d1));
	CHECK_EQ_U64(got[1].size, sizeof(d2));
	CHECK_EQ_U64(got[2].phys_start, 0x3000);
	CHECK_EQ_U64(got[2].virt_start, 0xffff000000003000ULL);

	/* Each segment kept its own bytes through the sort. */
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, 0x3010, 16)))
		CHECK(!memcmp(buf, d3 + 0x10, 16));
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, 0x1000, 16)))
		CHECK(!memcmp(buf, d1, 16));
	/* Across d1 and d2. */
	if (CHECK_NO_ERR(hypmem_source_read(src, buf, 0x10f0, 0x20))) {
		CHECK(!memcmp(buf, d1 + 0xf0, 0x10));
		CHECK(!memcmp(buf + 0x10, d2, 0x10));
	}
	if (CHECK_NO_ERR(hypmem_source_view(src, 0x1100, sizeof(d2), &v)))
		CHECK(v == d2);
	CHECK_FAULT(hypmem_source_read(src, buf, 0x1170, 0x20), 0x1180);
	CHECK_FAULT(hypmem_source_read(src, buf, 0x2fff, 2), 0x2fff);
	CHECK_FAULT(hypmem_source_read(src, buf, 0x30f8, 0x10), 0x3100);
	hypmem_source_destroy(src);
}

TEST(memory_bad_segments)
{
	static uint8_t d[0x200];
	const struct hypmem_segment overlap[] = {
	    {.phys_start = 0x2000, .size = 0x100},
	    {.phys_start = 0x1f80, .size = 0x100},
	};
	const struct hypmem_segment wrap[] = {
	    {.phys_start = 0xffffffffffffff00ULL, .size = 0x200},
	};
	const void *const data[] = {d, d};
	struct hypmem_source *src = NULL;
	uint8_t b;
	size_t nr = 1;

	CHECK_ERR(hypmem_source_create_memory(overlap, data, 2, NULL, &src), HYPMEM_ERROR_FORMAT,
		  "overlap");
	CHECK_ERR(hypmem_source_create_memory(wrap, data, 1, NULL, &src), HYPMEM_ERROR_FORMAT,
		  "wrap");
	/* No segments at all: valid, and holds nothing. */
	if (CHECK_NO_ERR(hypmem_source_create_memory(NULL, NULL, 0, NULL, &src))) {
		hypmem_source_segments(src, &nr);
		CHECK_EQ_U64(nr, 0);
		CHECK(hypmem_source_vmcoreinfo(src) == NULL);
		CHECK_FAULT(hypmem_source_read(src, &b, 0, 1), 0);
		CHECK(!hypmem_source_contains(src, 0, 1));
		hypmem_source_destroy(src);
	}
}

TEST_MAIN
