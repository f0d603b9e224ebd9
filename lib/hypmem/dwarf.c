// SPDX-License-Identifier: GPL-2.0-only
/*
 * Symbols and layouts from an ELF image: the ELF symbol table and DWARF
 * (libdw), indexed once and answered from sorted arrays.
 *
 * Index.  A vmlinux has thousands of compile units, of which a few dozen are
 * the hypervisor's (arch/arm64/kvm/hyp/nvhe/...).  The index is built in two
 * tiers: the top-level DIEs of the hyp units when the file is opened, and
 * those of every other unit only when a lookup misses the first tier.  An
 * entry is {name, kind, declaration?, DIE offset}; names point into libdw's
 * string data, which lives as long as the Dwarf handle.  Enumerators of
 * top-level enums are indexed too, with their value.
 *
 * Types are handed out stripped of typedefs and qualifiers, following at most
 * MAX_TYPE_CHAIN links (a hostile file may contain a typedef loop).  Member
 * lists are flattened once per struct and cached.
 *
 * What it leaves to others: relocation (KASLR), translation and reading of
 * target memory (target.c).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypmem/dwarf.h"
#include "array.h"

#define NVHE_PREFIX	 "__kvm_nvhe_"
#define MAX_TYPE_CHAIN	 64
#define MAX_NAME_DEPTH	 16
#define MAX_MEMBER_DEPTH 16

enum entry_kind {
	ENTRY_VARIABLE,
	ENTRY_STRUCT,
	ENTRY_UNION,
	ENTRY_ENUM,
	ENTRY_TYPEDEF,
	ENTRY_BASE,
	ENTRY_ENUMERATOR,
};

struct entry {
	const char *name; /* borrowed from libdw */
	uint8_t kind;	  /* enum entry_kind */
	bool decl;	  /* DW_AT_declaration: no definition here */
	bool has_location;
	Dwarf_Off off; /* the DIE */
	int64_t value; /* enumerators */
};

struct tier {
	struct entry *entries;
	size_t nr, cap;
};

struct symbol {
	const char *name; /* borrowed from libelf's string table */
	uint64_t value, size;
};

struct member_cache {
	Dwarf_Off off;
	struct hypmem_member *members;
	size_t nr;
};

struct hypmem_dwarf {
	char *path;
	int fd;
	Elf *elf;
	Dwarf *dbg;
	struct symbol *syms;
	size_t nr_syms;
	uint32_t *sym_slots; /* open addressing: index + 1 into syms, 0 empty */
	size_t sym_mask;
	bool syms_read; /* sorted on first use: 200k names in a distro vmlinux */
	struct tier tiers[2]; /* 0: hyp units, 1: the rest (built on demand) */
	bool rest_indexed;
	/* Hyp units found through .debug_aranges: sorted unit DIE offsets. */
	Dwarf_Off *hyp_units;
	size_t nr_hyp_units;
	struct stat st;	   /* of the image, keys the index cache */
	void *cache_map;   /* a loaded index cache: entry names point into it */
	size_t cache_size;
	struct member_cache *mcache;
	size_t nr_mcache, cap_mcache;
	char **strings; /* owned type names handed out in members */
	size_t nr_strings, cap_strings;
};

const char *hypmem_dwarf_path(const struct hypmem_dwarf *dw)
{
	return dw->path;
}

/* --- ELF symbols --- */

/*
 * Symbol names are hashed into an open-addressing table rather than sorted:
 * a distribution vmlinux has ~200 000 symbols and a decode looks up a
 * dozen, so sorting (n log n string compares) cost more than everything
 * else a decode does.
 */
static uint64_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ULL;
	return h;
}

static struct hypmem_error *hash_symbols(struct hypmem_dwarf *dw)
{
	size_t size = 16;

	while (size < 2 * dw->nr_syms)
		size *= 2;
	dw->sym_slots = calloc(size, sizeof(*dw->sym_slots));
	if (!dw->sym_slots)
		return &hypmem_enomem;
	dw->sym_mask = size - 1;
	for (size_t i = 0; i < dw->nr_syms; i++) {
		size_t slot = name_hash(dw->syms[i].name) & dw->sym_mask;

		/* The first of equal names wins, as in the symbol table. */
		while (dw->sym_slots[slot] &&
		       strcmp(dw->syms[dw->sym_slots[slot] - 1].name, dw->syms[i].name))
			slot = (slot + 1) & dw->sym_mask;
		if (!dw->sym_slots[slot])
			dw->sym_slots[slot] = (uint32_t)i + 1;
	}
	return NULL;
}

/*
 * A Debian vmlinux has about 260k symbols; eight times that is still a
 * kernel, ten million is a file built to exhaust memory (24 bytes each here,
 * plus the hash and the pages of the table itself).
 */
#define MAX_SYMBOLS (2U << 20)

static struct hypmem_error *read_symbols(struct hypmem_dwarf *dw)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(dw->elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			return hypmem_error_libelf(dw->path);
		n = shdr.sh_size / shdr.sh_entsize;
		if (n > MAX_SYMBOLS)
			return hypmem_error_create(HYPMEM_ERROR_ELF,
						   "%s: %zu symbols: more than a kernel has (%u)",
						   dw->path, n, MAX_SYMBOLS);
		dw->syms = calloc(n ? n : 1, sizeof(*dw->syms));
		if (!dw->syms)
			return &hypmem_enomem;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			if (GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
			    GELF_ST_TYPE(sym.st_info) == STT_FILE)
				continue;
			name = elf_strptr(dw->elf, shdr.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			dw->syms[dw->nr_syms++] = (struct symbol){name, sym.st_value, sym.st_size};
		}
		if (n > UINT32_MAX - 1)
			return hypmem_error_create(HYPMEM_ERROR_ELF, "%s: %zu symbols", dw->path, n);
		return hash_symbols(dw);
	}
	return NULL; /* no symbol table: DWARF locations must do */
}

struct hypmem_error *hypmem_dwarf_find_symbol(struct hypmem_dwarf *dw, const char *name,
					      uint64_t *value_ret, uint64_t *size_ret)
{
	const struct symbol *s = NULL;

	if (!dw->syms_read) {
		struct hypmem_error *err = read_symbols(dw);

		if (err)
			return err;
		dw->syms_read = true;
	}
	if (dw->sym_slots) {
		for (size_t slot = name_hash(name) & dw->sym_mask; dw->sym_slots[slot];
		     slot = (slot + 1) & dw->sym_mask) {
			if (!strcmp(dw->syms[dw->sym_slots[slot] - 1].name, name)) {
				s = &dw->syms[dw->sym_slots[slot] - 1];
				break;
			}
		}
	}
	if (!s)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "%s: no symbol '%s'", dw->path,
					   name);
	*value_ret = s->value;
	if (size_ret)
		*size_ret = s->size;
	return NULL;
}

/* --- the index --- */

static struct hypmem_error *tier_add(struct tier *t, const struct entry *e)
{
	if (!hypmem_grow((void **)&t->entries, &t->cap, t->nr + 1, sizeof(*t->entries)))
		return &hypmem_enomem;
	t->entries[t->nr++] = *e;
	return NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return x->off < y->off ? -1 : x->off > y->off;
}

static bool die_flag(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute attr;
	bool v = false;

	return dwarf_attr(die, at, &attr) && !dwarf_formflag(&attr, &v) && v;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	return dwarf_attr_integrate(die, DW_AT_name, &attr) ? dwarf_formstring(&attr) : NULL;
}

static struct hypmem_error *index_enumerators(struct tier *t, Dwarf_Die *en)
{
	Dwarf_Die child;
	int r = dwarf_child(en, &child);

	for (unsigned int n = 0; r == 0 && n < 1 << 20; n++, r = dwarf_siblingof(&child, &child)) {
		Dwarf_Attribute attr;
		struct entry e = {.kind = ENTRY_ENUMERATOR, .off = dwarf_dieoffset(&child)};
		Dwarf_Sword sv;
		Dwarf_Word uv;

		if (dwarf_tag(&child) != DW_TAG_enumerator || !(e.name = dwarf_diename(&child)) ||
		    !dwarf_attr(&child, DW_AT_const_value, &attr))
			continue;
		if (attr.form == DW_FORM_sdata || attr.form == DW_FORM_implicit_const) {
			if (dwarf_formsdata(&attr, &sv))
				continue;
			e.value = sv;
		} else {
			if (dwarf_formudata(&attr, &uv))
				continue;
			e.value = (int64_t)uv;
		}
		struct hypmem_error *err = tier_add(t, &e);

		if (err)
			return err;
	}
	return NULL;
}

static struct hypmem_error *index_unit(struct tier *t, Dwarf_Die *cudie)
{
	Dwarf_Die die;
	int r = dwarf_child(cudie, &die);

	for (; r == 0; r = dwarf_siblingof(&die, &die)) {
		struct entry e = {.off = dwarf_dieoffset(&die)};
		struct hypmem_error *err;
		int tag = dwarf_tag(&die);

		switch (tag) {
		case DW_TAG_variable:
			e.kind = ENTRY_VARIABLE;
			e.has_location = dwarf_hasattr(&die, DW_AT_location);
			break;
		case DW_TAG_structure_type:
			e.kind = ENTRY_STRUCT;
			break;
		case DW_TAG_union_type:
			e.kind = ENTRY_UNION;
			break;
		case DW_TAG_enumeration_type:
			e.kind = ENTRY_ENUM;
			err = index_enumerators(t, &die);
			if (err)
				return err;
			break;
		case DW_TAG_typedef:
			e.kind = ENTRY_TYPEDEF;
			break;
		case DW_TAG_base_type:
			e.kind = ENTRY_BASE;
			break;
		default:
			continue;
		}
		e.name = tag == DW_TAG_variable ? die_name(&die) : dwarf_diename(&die);
		if (!e.name)
			continue;
		e.decl = die_flag(&die, DW_AT_declaration);
		err = tier_add(t, &e);
		if (err)
			return err;
	}
	return NULL;
}

static bool is_hyp_unit(const char *name)
{
	return name && (strstr(name, "/nvhe/") || strstr(name, "/hyp/") || strstr(name, "el2/"));
}

static int off_cmp(const void *a, const void *b)
{
	Dwarf_Off x = *(const Dwarf_Off *)a, y = *(const Dwarf_Off *)b;

	return x < y ? -1 : x > y;
}

/*
 * The hyp units are those whose code lies between the image's
 * __hyp_text_start and __hyp_text_end (nVHE objects are linked there, and
 * the symbols carry the __kvm_nvhe_ prefix).  .debug_aranges answers that
 * without parsing a single unit DIE, where testing unit names means
 * opening every unit of a vmlinux (thousands).  False when the image has
 * no such symbols or no aranges: names must do.
 */
static bool hyp_units_from_aranges(struct hypmem_dwarf *dw)
{
	uint64_t start, end;
	struct hypmem_error *err;
	Dwarf_Aranges *ar;
	size_t n, nr = 0;

	err = hypmem_dwarf_find_symbol(dw, NVHE_PREFIX "__hyp_text_start", &start, NULL);
	if (!err)
		err = hypmem_dwarf_find_symbol(dw, NVHE_PREFIX "__hyp_text_end", &end, NULL);
	if (err) {
		hypmem_error_destroy(err);
		return false;
	}
	if (end <= start || dwarf_getaranges(dw->dbg, &ar, &n) || !n)
		return false;
	dw->hyp_units = calloc(n, sizeof(*dw->hyp_units));
	if (!dw->hyp_units)
		return false;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Arange *a = dwarf_onearange(ar, i);
		Dwarf_Addr addr;
		Dwarf_Word len;
		Dwarf_Off off;

		if (a && !dwarf_getarangeinfo(a, &addr, &len, &off) && addr < end &&
		    addr + len > start)
			dw->hyp_units[nr++] = off;
	}
	qsort(dw->hyp_units, nr, sizeof(*dw->hyp_units), off_cmp);
	dw->nr_hyp_units = 0;
	for (size_t i = 0; i < nr; i++)
		if (!i || dw->hyp_units[i] != dw->hyp_units[i - 1])
			dw->hyp_units[dw->nr_hyp_units++] = dw->hyp_units[i];
	return dw->nr_hyp_units > 0;
}

static bool is_hyp_unit_die(const struct hypmem_dwarf *dw, Dwarf_Die *cudie)
{
	Dwarf_Off off = dwarf_dieoffset(cudie);

	if (dw->nr_hyp_units)
		return bsearch(&off, dw->hyp_units, dw->nr_hyp_units, sizeof(off), off_cmp);
	return is_hyp_unit(dwarf_diename(cudie));
}

/*
 * The index of the hyp units, kept on disk between runs.  Opening a
 * distribution vmlinux is most of what a decode costs (its hyp units alone
 * are tens of MiB of DWARF to walk), and the answer never changes for one
 * file, so images of at least CACHE_MIN_SIZE keep their hyp-unit index in
 * $HYPMEM_CACHE_DIR, else $XDG_CACHE_HOME/hypmem, else ~/.cache/hypmem
 * (HYPMEM_NO_CACHE=1 turns it off).  The file is keyed by the image's
 * device, inode, size and mtime, and is untrusted input like any other:
 * every count, offset and name is checked and the entries must be sorted,
 * else it is ignored and rewritten; a checksum catches the corruption
 * those checks cannot.  Layout: header, unit offsets (u64), entries, then
 * the NUL-terminated names.
 */
#define CACHE_MIN_SIZE (64ULL << 20)
#define CACHE_MAGIC    "HYPMIDX1"

struct cache_header {
	char magic[8];
	uint64_t dev, ino, size, mtime_sec, mtime_nsec;
	uint64_t nr_units, nr_entries, names_size;
	uint64_t sum; /* FNV-1a of everything after the header */
};

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

struct cache_entry {
	uint64_t off;
	int64_t value;
	uint32_t name; /* offset in the names */
	uint8_t kind, decl, has_location, pad;
};

/* mkdir -p: every missing parent too.  0 or an errno. */
static int mkdir_parents(const char *dir)
{
	char d[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(d))
		return ENAMETOOLONG;
	memcpy(d, dir, len + 1);
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0755) && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(d, 0755) && errno != EEXIST)
		return errno;
	return 0;
}

/* The cache only costs speed, so one warning per process is enough. */
static void cache_warn(const char *what, int errnum)
{
	static bool warned;

	if (warned)
		return;
	warned = true;
	fprintf(stderr,
		"hypmem: warning: cannot write the DWARF index cache %s: %s (later runs stay "
		"slow; set HYPMEM_CACHE_DIR, or HYPMEM_NO_CACHE=1 to silence this)\n",
		what, strerror(errnum));
}

static bool cache_path(const struct hypmem_dwarf *dw, char *buf, size_t len, bool create)
{
	const char *dir = getenv("HYPMEM_CACHE_DIR"), *base;
	uint64_t key = 0xcbf29ce484222325ULL;
	uint64_t parts[] = { (uint64_t)dw->st.st_dev, (uint64_t)dw->st.st_ino,
			     (uint64_t)dw->st.st_size, (uint64_t)dw->st.st_mtim.tv_sec,
			     (uint64_t)dw->st.st_mtim.tv_nsec };
	char d[PATH_MAX];
	int errnum;

	if (getenv("HYPMEM_NO_CACHE") || (uint64_t)dw->st.st_size < CACHE_MIN_SIZE)
		return false;
	if (dir && *dir)
		snprintf(d, sizeof(d), "%s", dir);
	else if ((base = getenv("XDG_CACHE_HOME")) && *base)
		snprintf(d, sizeof(d), "%s/hypmem", base);
	else if ((base = getenv("HOME")) && *base)
		snprintf(d, sizeof(d), "%s/.cache/hypmem", base);
	else
		return false;
	if (create && (errnum = mkdir_parents(d))) {
		cache_warn(d, errnum);
		return false;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (int b = 0; b < 8; b++)
			key = (key ^ ((parts[i] >> (8 * b)) & 0xff)) * 0x100000001b3ULL;
	return (size_t)snprintf(buf, len, "%s/%016" PRIx64 ".idx", d, key) < len;
}

static bool cache_header_matches(const struct hypmem_dwarf *dw, const struct cache_header *h)
{
	return !memcmp(h->magic, CACHE_MAGIC, 8) && h->dev == (uint64_t)dw->st.st_dev &&
	       h->ino == (uint64_t)dw->st.st_ino && h->size == (uint64_t)dw->st.st_size &&
	       h->mtime_sec == (uint64_t)dw->st.st_mtim.tv_sec &&
	       h->mtime_nsec == (uint64_t)dw->st.st_mtim.tv_nsec;
}

/* Fill tier 0 and the hyp units from the cache; false (nothing changed) if unusable. */
static bool cache_load(struct hypmem_dwarf *dw)
{
	struct tier *t = &dw->tiers[0];
	struct cache_header h;
	const uint8_t *map, *units, *ents;
	const char *names;
	struct stat cst;
	struct entry *e = NULL;
	Dwarf_Off *u = NULL;
	char path[PATH_MAX];
	uint64_t left;
	int fd;

	if (!cache_path(dw, path, sizeof(path), false))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &cst) || (uint64_t)cst.st_size < sizeof(h) ||
	    (map = mmap(NULL, (size_t)cst.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return false;
	}
	close(fd);
	memcpy(&h, map, sizeof(h));
	left = (uint64_t)cst.st_size - sizeof(h);
	if (!cache_header_matches(dw, &h) || h.nr_units > left / 8)
		goto bad;
	left -= h.nr_units * 8;
	if (h.nr_entries > left / sizeof(struct cache_entry) || h.nr_entries > UINT32_MAX)
		goto bad;
	left -= h.nr_entries * sizeof(struct cache_entry);
	if (left != h.names_size || !h.names_size ||
	    fnv_bytes(0xcbf29ce484222325ULL, map + sizeof(h), (size_t)cst.st_size - sizeof(h)) !=
		    h.sum)
		goto bad;
	units = map + sizeof(h);
	ents = units + h.nr_units * 8;
	names = (const char *)ents + h.nr_entries * sizeof(struct cache_entry);
	if (names[h.names_size - 1])
		goto bad;
	u = calloc(h.nr_units ? h.nr_units : 1, sizeof(*u));
	e = calloc(h.nr_entries ? h.nr_entries : 1, sizeof(*e));
	if (!u || !e)
		goto bad;
	memcpy(u, units, h.nr_units * 8);
	for (uint64_t i = 0; i < h.nr_entries; i++) {
		struct cache_entry ce;

		memcpy(&ce, ents + i * sizeof(ce), sizeof(ce));
		if (ce.name >= h.names_size || ce.kind > ENTRY_ENUMERATOR || ce.decl > 1 ||
		    ce.has_location > 1)
			goto bad;
		e[i] = (struct entry){ .name = names + ce.name, .kind = ce.kind, .decl = ce.decl,
				       .has_location = ce.has_location, .off = ce.off,
				       .value = ce.value };
		if (i && entry_cmp(&e[i - 1], &e[i]) > 0)
			goto bad;
	}
	for (uint64_t i = 1; i < h.nr_units; i++)
		if (u[i - 1] >= u[i])
			goto bad;
	t->entries = e;
	t->nr = t->cap = h.nr_entries;
	dw->hyp_units = u;
	dw->nr_hyp_units = h.nr_units;
	dw->cache_map = (void *)map;
	dw->cache_size = (size_t)cst.st_size;
	return true;
bad:
	free(u);
	free(e);
	munmap((void *)map, (size_t)cst.st_size);
	return false;
}

/* @len bytes to @fd, across short writes; false on any error (errno set). */
static bool write_fully(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Write tier 0 and the hyp units for the next run; failures only cost speed. */
static void cache_save(const struct hypmem_dwarf *dw)
{
	const struct tier *t = &dw->tiers[0];
	struct cache_header h = { .nr_units = dw->nr_hyp_units, .nr_entries = t->nr };
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	uint32_t name_off = 0;
	const char *last = NULL;
	uint8_t *body, *pos;
	size_t body_size;
	bool ok;
	int fd;

	if (!t->nr || !cache_path(dw, path, sizeof(path), true))
		return;
	memcpy(h.magic, CACHE_MAGIC, 8);
	h.dev = (uint64_t)dw->st.st_dev;
	h.ino = (uint64_t)dw->st.st_ino;
	h.size = (uint64_t)dw->st.st_size;
	h.mtime_sec = (uint64_t)dw->st.st_mtim.tv_sec;
	h.mtime_nsec = (uint64_t)dw->st.st_mtim.tv_nsec;
	/* Entries are sorted by name: equal names share one copy. */
	for (size_t i = 0; i < t->nr; i++) {
		if (last && !strcmp(last, t->entries[i].name))
			continue;
		last = t->entries[i].name;
		h.names_size += strlen(last) + 1;
	}
	if (h.names_size > UINT32_MAX)
		return;
	body_size = h.nr_units * 8 + h.nr_entries * sizeof(struct cache_entry) + h.names_size;
	body = malloc(body_size ? body_size : 1);
	if (!body)
		return;
	pos = body;
	if (h.nr_units)
		memcpy(pos, dw->hyp_units, h.nr_units * 8);
	pos += h.nr_units * 8;
	last = NULL;
	for (size_t i = 0; i < t->nr; i++) {
		const struct entry *e = &t->entries[i];
		struct cache_entry ce = { .off = e->off, .value = e->value, .kind = e->kind,
					  .decl = e->decl, .has_location = e->has_location };

		if (last && strcmp(last, e->name))
			name_off += (uint32_t)strlen(last) + 1;
		last = e->name;
		ce.name = name_off;
		memcpy(pos, &ce, sizeof(ce));
		pos += sizeof(ce);
	}
	last = NULL;
	for (size_t i = 0; i < t->nr; i++) {
		if (last && !strcmp(last, t->entries[i].name))
			continue;
		last = t->entries[i].name;
		memcpy(pos, last, strlen(last) + 1);
		pos += strlen(last) + 1;
	}
	h.sum = fnv_bytes(0xcbf29ce484222325ULL, body, body_size);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		cache_warn(path, errno);
		free(body);
		return;
	}
	ok = write_fully(fd, &h, sizeof(h)) && write_fully(fd, body, body_size);
	free(body);
	if (close(fd) || !ok || rename(tmp, path)) {
		cache_warn(path, errno);
		unlink(tmp);
	}
}

/* Index the hyp units (@rest false) or all the others (@rest true). */
/*
 * libdw keeps per-unit state (about 1 KiB) for every unit it has stepped
 * over, so a file of a million empty units costs a GiB before anything is
 * indexed.  A distribution vmlinux has a few thousand units.
 */
#define MAX_UNITS (64U << 10)

static struct hypmem_error *build_tier(struct hypmem_dwarf *dw, bool rest)
{
	struct tier *t = &dw->tiers[rest];
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t unit_type;
	size_t seen = 0, units = 0;

	if (!rest && cache_load(dw))
		return NULL;
	if (!rest && hyp_units_from_aranges(dw)) {
		for (size_t i = 0; i < dw->nr_hyp_units; i++) {
			struct hypmem_error *err;

			if (!dwarf_offdie(dw->dbg, dw->hyp_units[i], &cudie))
				continue;
			err = index_unit(t, &cudie);
			if (err)
				return err;
		}
		if (t->nr)
			qsort(t->entries, t->nr, sizeof(*t->entries), entry_cmp);
		cache_save(dw);
		return NULL;
	}
	while (dwarf_get_units(dw->dbg, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0) {
		struct hypmem_error *err;

		if (++units > MAX_UNITS)
			return hypmem_error_create(HYPMEM_ERROR_DWARF,
						   "%s: DWARF has more than %u units: not a kernel "
						   "image, or a corrupt one",
						   dw->path, MAX_UNITS);
		if (unit_type != DW_UT_compile && unit_type != DW_UT_partial)
			continue;
		seen++;
		if (is_hyp_unit_die(dw, &cudie) == rest)
			continue;
		err = index_unit(t, &cudie);
		if (err)
			return err;
	}
	if (!seen)
		return hypmem_error_create(HYPMEM_ERROR_DWARF, "%s: DWARF has no compile units",
					   dw->path);
	if (t->nr)
		qsort(t->entries, t->nr, sizeof(*t->entries), entry_cmp);
	if (rest)
		dw->rest_indexed = true;
	else
		cache_save(dw);
	return NULL;
}

/* First entry named @name in tier @t, or NULL; entries of one name are adjacent. */
static const struct entry *tier_first(const struct tier *t, const char *name)
{
	size_t lo = 0, hi = t->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->entries[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nr && !strcmp(t->entries[lo].name, name) ? &t->entries[lo] : NULL;
}

/*
 * The best entry named @name whose kind is in @kinds (a bit mask): a
 * definition over a declaration, the hyp tier over the rest, which is
 * indexed only if the hyp tier has no definition and @hyp_only is false.
 * Indexing the rest of a distribution vmlinux takes seconds (millions of
 * DIEs), so names that are the hyp's own or nothing (types, enumerators,
 * variables without a symbol) never ask for it.
 */
static struct hypmem_error *lookup(struct hypmem_dwarf *dw, const char *name, unsigned int kinds,
				   bool hyp_only, const struct entry **ret)
{
	const struct entry *decl = NULL;

	for (int tier = 0; tier < (hyp_only ? 1 : 2); tier++) {
		const struct tier *t = &dw->tiers[tier];
		const struct entry *e;

		if (tier == 1 && !dw->rest_indexed) {
			struct hypmem_error *err = build_tier(dw, true);

			if (err)
				return err;
		}
		for (e = tier_first(t, name); e && e < t->entries + t->nr && !strcmp(e->name, name);
		     e++) {
			if (!(kinds & (1u << e->kind)))
				continue;
			if (e->kind == ENTRY_VARIABLE ? e->has_location : !e->decl) {
				*ret = e;
				return NULL;
			}
			if (!decl)
				decl = e;
		}
	}
	*ret = decl;
	return NULL;
}

/* --- types --- */

static bool offdie(struct hypmem_dwarf *dw, Dwarf_Off off, Dwarf_Die *ret)
{
	return dwarf_offdie(dw->dbg, off, ret) != NULL;
}

static bool die_type(Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Attribute attr;

	return dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, ret);
}

static bool is_transparent(int tag)
{
	return tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type ||
	       tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type;
}

/* Fill @ret from a type DIE (which may be a typedef or qualifier, or absent: void). */
static struct hypmem_error *make_type(struct hypmem_dwarf *dw, Dwarf_Die *in,
				      struct hypmem_type *ret)
{
	Dwarf_Die die;
	Dwarf_Word size = 0, enc;
	Dwarf_Attribute attr;
	int n;

	memset(ret, 0, sizeof(*ret));
	if (!in) {
		ret->kind = HYPMEM_TYPE_VOID;
		return NULL;
	}
	die = *in;
	for (n = 0; is_transparent(dwarf_tag(&die)); n++) {
		if (n == MAX_TYPE_CHAIN)
			return hypmem_error_create(HYPMEM_ERROR_DWARF,
						   "%s: typedef/qualifier chain at DIE 0x%" PRIx64
						   " is too long (a loop?)",
						   dw->path, (uint64_t)dwarf_dieoffset(in));
		if (!die_type(&die, &die)) {
			ret->kind = HYPMEM_TYPE_VOID; /* const void */
			return NULL;
		}
	}
	ret->die_offset = dwarf_dieoffset(&die);
	ret->name = dwarf_diename(&die);
	switch (dwarf_tag(&die)) {
	case DW_TAG_base_type:
		ret->kind = HYPMEM_TYPE_INT;
		if (dwarf_attr(&die, DW_AT_encoding, &attr) && !dwarf_formudata(&attr, &enc))
			ret->is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
		break;
	case DW_TAG_enumeration_type: {
		Dwarf_Die under;

		ret->kind = HYPMEM_TYPE_ENUM;
		if (die_type(&die, &under)) {
			struct hypmem_type u;
			struct hypmem_error *err = make_type(dw, &under, &u);

			if (err)
				return err;
			ret->is_signed = u.is_signed;
		} else if (dwarf_attr(&die, DW_AT_encoding, &attr) &&
			   !dwarf_formudata(&attr, &enc)) {
			ret->is_signed = enc == DW_ATE_signed;
		}
		break;
	}
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
		ret->kind = HYPMEM_TYPE_POINTER;
		break;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
		ret->kind = HYPMEM_TYPE_STRUCT;
		break;
	case DW_TAG_union_type:
		ret->kind = HYPMEM_TYPE_UNION;
		break;
	case DW_TAG_array_type: {
		Dwarf_Die sub, elem = die;
		uint64_t total = 1;
		bool known = false;
		int r = dwarf_child(&die, &sub);

		ret->kind = HYPMEM_TYPE_ARRAY;
		/* Arrays of arrays end in an element, unless the file loops them. */
		for (n = 0; dwarf_tag(&elem) == DW_TAG_array_type || is_transparent(dwarf_tag(&elem));
		     n++) {
			if (n == MAX_TYPE_CHAIN)
				return hypmem_error_create(HYPMEM_ERROR_DWARF,
							   "%s: array type at DIE 0x%" PRIx64
							   " nests too deep (a loop?)",
							   dw->path, (uint64_t)ret->die_offset);
			if (!die_type(&elem, &elem))
				break;
		}
		for (n = 0; r == 0 && n < 8; n++, r = dwarf_siblingof(&sub, &sub)) {
			Dwarf_Word count = 0, ub;

			if (dwarf_tag(&sub) != DW_TAG_subrange_type)
				continue;
			if (dwarf_attr(&sub, DW_AT_count, &attr) &&
			    !dwarf_formudata(&attr, &count)) {
				known = true;
			} else if (dwarf_attr(&sub, DW_AT_upper_bound, &attr) &&
				   !dwarf_formudata(&attr, &ub) && ub < UINT32_MAX) {
				count = ub + 1;
				known = true;
			} else {
				known = false;
				break;
			}
			if (count && total > UINT64_MAX / count)
				return hypmem_error_create(HYPMEM_ERROR_DWARF,
							   "%s: array at DIE 0x%" PRIx64
							   " is too large",
							   dw->path, (uint64_t)ret->die_offset);
			total *= count;
		}
		ret->nr_elements = known ? total : 0;
		break;
	}
	case DW_TAG_subroutine_type:
		ret->kind = HYPMEM_TYPE_FUNCTION;
		break;
	default:
		ret->kind = HYPMEM_TYPE_OTHER;
		break;
	}
	if (ret->kind == HYPMEM_TYPE_POINTER) {
		Dwarf_Die cu;
		uint8_t addr_size = 8;

		if (dwarf_attr(&die, DW_AT_byte_size, &attr) && !dwarf_formudata(&attr, &size))
			ret->size = size;
		else if (dwarf_diecu(&die, &cu, &addr_size, NULL))
			ret->size = addr_size;
		else
			ret->size = 8;
	} else if (ret->kind != HYPMEM_TYPE_FUNCTION && dwarf_aggregate_size(&die, &size) == 0) {
		ret->size = size;
	}
	return NULL;
}

static struct hypmem_error *type_die(struct hypmem_dwarf *dw, const struct hypmem_type *type,
				     Dwarf_Die *ret)
{
	if (!type->die_offset || !offdie(dw, type->die_offset, ret))
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "%s: type has no DIE (void?)", dw->path);
	return NULL;
}

struct hypmem_error *hypmem_dwarf_find_type(struct hypmem_dwarf *dw, const char *name,
					    struct hypmem_type *ret)
{
	static const struct {
		const char *prefix;
		unsigned int kinds;
	} prefixes[] = {
	    {"struct ", 1u << ENTRY_STRUCT},
	    {"union ", 1u << ENTRY_UNION},
	    {"enum ", 1u << ENTRY_ENUM},
	};
	unsigned int kinds = (1u << ENTRY_TYPEDEF) | (1u << ENTRY_BASE);
	const char *plain = name;
	const struct entry *e;
	struct hypmem_error *err;
	Dwarf_Die die;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t len = strlen(prefixes[i].prefix);

		if (!strncmp(name, prefixes[i].prefix, len)) {
			plain = name + len;
			kinds = prefixes[i].kinds;
			break;
		}
	}
	err = lookup(dw, plain, kinds, true, &e);
	if (err)
		return err;
	if (!e)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "%s: DWARF has no type '%s'",
					   dw->path, name);
	if (e->decl)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "%s: DWARF declares '%s' but never defines it", dw->path,
					   name);
	if (!offdie(dw, e->off, &die))
		return hypmem_error_libdw(dw->path);
	return make_type(dw, &die, ret);
}

struct hypmem_error *hypmem_dwarf_element_type(struct hypmem_dwarf *dw,
					       const struct hypmem_type *type,
					       struct hypmem_type *ret)
{
	Dwarf_Die die, elem;
	struct hypmem_error *err;

	if (type->kind != HYPMEM_TYPE_ARRAY && type->kind != HYPMEM_TYPE_POINTER)
		return hypmem_error_create(
		    HYPMEM_ERROR_INVALID_ARGUMENT,
		    "element type of a type that is neither array nor pointer");
	err = type_die(dw, type, &die);
	if (err)
		return err;
	return make_type(dw, die_type(&die, &elem) ? &elem : NULL, ret);
}

/* --- members --- */

static struct hypmem_error *intern(struct hypmem_dwarf *dw, const char *s, const char **ret)
{
	char **n;

	if (!hypmem_grow((void **)&dw->strings, &dw->cap_strings, dw->nr_strings + 1,
			 sizeof(*dw->strings)))
		return &hypmem_enomem;
	n = dw->strings;
	if (!(n[dw->nr_strings] = strdup(s)))
		return &hypmem_enomem;
	*ret = n[dw->nr_strings++];
	return NULL;
}

static void format_die(struct hypmem_dwarf *dw, Dwarf_Die *die, char *buf, size_t len, int depth);

/* Append @s to @buf (NUL-terminated, @len total), truncating. */
static void append(char *buf, size_t len, const char *s)
{
	size_t used = strnlen(buf, len);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s", s);
}

static void format_die(struct hypmem_dwarf *dw, Dwarf_Die *die, char *buf, size_t len, int depth)
{
	Dwarf_Die next;
	const char *name;
	char tmp[32];

	if (!die) {
		append(buf, len, "void");
		return;
	}
	if (depth > MAX_NAME_DEPTH) {
		append(buf, len, "...");
		return;
	}
	name = dwarf_diename(die);
	switch (dwarf_tag(die)) {
	case DW_TAG_structure_type:
		append(buf, len, "struct ");
		append(buf, len, name ? name : "{...}");
		return;
	case DW_TAG_union_type:
		append(buf, len, "union ");
		append(buf, len, name ? name : "{...}");
		return;
	case DW_TAG_enumeration_type:
		append(buf, len, "enum ");
		append(buf, len, name ? name : "{...}");
		return;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		append(buf, len, dwarf_tag(die) == DW_TAG_const_type ? "const " : "volatile ");
		format_die(dw, die_type(die, &next) ? &next : NULL, buf, len, depth + 1);
		return;
	case DW_TAG_pointer_type:
		if (die_type(die, &next) && dwarf_tag(&next) == DW_TAG_subroutine_type) {
			append(buf, len, "func *");
			return;
		}
		format_die(dw, die_type(die, &next) ? &next : NULL, buf, len, depth + 1);
		append(buf, len, " *");
		return;
	case DW_TAG_array_type: {
		/* One [N] per subrange: int grid[3][4] is one DIE with two. */
		Dwarf_Attribute attr;
		Dwarf_Die sub;
		bool any = false;
		int r = dwarf_child(die, &sub);

		format_die(dw, die_type(die, &next) ? &next : NULL, buf, len, depth + 1);
		for (int n = 0; r == 0 && n < 8; n++, r = dwarf_siblingof(&sub, &sub)) {
			Dwarf_Word count = 0, ub;

			if (dwarf_tag(&sub) != DW_TAG_subrange_type)
				continue;
			any = true;
			if (!dwarf_attr(&sub, DW_AT_count, &attr) ||
			    dwarf_formudata(&attr, &count)) {
				count = 0;
				if (dwarf_attr(&sub, DW_AT_upper_bound, &attr) &&
				    !dwarf_formudata(&attr, &ub) && ub < UINT32_MAX)
					count = ub + 1;
			}
			if (!count) {
				append(buf, len, "[]");
				continue;
			}
			snprintf(tmp, sizeof(tmp), "[%" PRIu64 "]", (uint64_t)count);
			append(buf, len, tmp);
		}
		if (!any)
			append(buf, len, "[]");
		return;
	}
	case DW_TAG_subroutine_type:
		append(buf, len, "func");
		return;
	default:
		append(buf, len, name ? name : "?");
		return;
	}
}

char *hypmem_dwarf_type_name(struct hypmem_dwarf *dw, const struct hypmem_type *type, char *buf,
			     size_t len)
{
	Dwarf_Die die;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (type->kind == HYPMEM_TYPE_VOID || !offdie(dw, type->die_offset, &die))
		append(buf, len, "void");
	else
		format_die(dw, &die, buf, len, 0);
	return buf;
}

static uint64_t member_location(Dwarf_Die *die, bool *ok)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	Dwarf_Op *ops;
	size_t nops;

	*ok = true;
	if (!dwarf_attr(die, DW_AT_data_member_location, &attr))
		return 0; /* union members, or offset 0 */
	if (!dwarf_formudata(&attr, &v))
		return v;
	/* DWARF 2 style: a location expression DW_OP_plus_uconst N. */
	if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst)
		return ops[0].number;
	*ok = false;
	return 0;
}

static struct hypmem_error *load_members(struct hypmem_dwarf *dw, Dwarf_Die *sdie,
					 struct member_cache *mc)
{
	Dwarf_Die child;
	size_t cap = 0;
	int r = dwarf_child(sdie, &child);

	for (unsigned int n = 0; r == 0 && n < 1 << 16; n++, r = dwarf_siblingof(&child, &child)) {
		struct hypmem_member m = {0};
		struct hypmem_error *err;
		Dwarf_Attribute attr;
		Dwarf_Word v, bit_size = 0;
		Dwarf_Die tdie;
		char name[256] = "";
		bool ok;

		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		m.name = dwarf_diename(&child);
		m.offset = member_location(&child, &ok);
		if (!ok)
			return hypmem_error_create(HYPMEM_ERROR_DWARF,
						   "%s: member '%s' has a location DWARF we cannot "
						   "evaluate",
						   dw->path, m.name ? m.name : "(anonymous)");
		err = make_type(dw, die_type(&child, &tdie) ? &tdie : NULL, &m.type);
		if (err)
			return err;
		if (dwarf_attr(&child, DW_AT_bit_size, &attr) &&
		    !dwarf_formudata(&attr, &bit_size) && bit_size) {
			uint64_t first; /* LSB-numbered bit offset from the struct's start */

			if (bit_size > 64)
				return hypmem_error_create(
				    HYPMEM_ERROR_DWARF, "%s: bitfield '%s' is %" PRIu64 " bits",
				    dw->path, m.name ? m.name : "?", (uint64_t)bit_size);
			if (dwarf_attr(&child, DW_AT_data_bit_offset, &attr) &&
			    !dwarf_formudata(&attr, &v)) {
				first = v;
			} else if (dwarf_attr(&child, DW_AT_bit_offset, &attr) &&
				   !dwarf_formudata(&attr, &v)) {
				/* DWARF 2/3: counted from the storage unit's MSB. */
				Dwarf_Word unit = m.type.size;

				if (dwarf_attr(&child, DW_AT_byte_size, &attr))
					dwarf_formudata(&attr, &unit);
				if (unit * 8 < v + bit_size)
					return hypmem_error_create(HYPMEM_ERROR_DWARF,
								   "%s: bitfield '%s' lies outside "
								   "its storage unit",
								   dw->path, m.name ? m.name : "?");
				first = m.offset * 8 + unit * 8 - v - bit_size;
			} else {
				first = m.offset * 8;
			}
			m.offset = first / 8;
			m.bit_offset = (uint32_t)(first % 8);
			m.bit_size = (uint32_t)bit_size;
		}
		if (die_type(&child, &tdie)) {
			format_die(dw, &tdie, name, sizeof(name), 0);
			err = intern(dw, name, &m.type_name);
			if (err)
				return err;
		}
		if (!hypmem_grow((void **)&mc->members, &cap, mc->nr + 1, sizeof(*mc->members)))
			return &hypmem_enomem;
		mc->members[mc->nr++] = m;
	}
	return NULL;
}

struct hypmem_error *hypmem_dwarf_members(struct hypmem_dwarf *dw, const struct hypmem_type *type,
					  const struct hypmem_member **members_ret, size_t *nr_ret)
{
	struct member_cache *mc;
	struct hypmem_error *err;
	Dwarf_Die die;

	if (type->kind != HYPMEM_TYPE_STRUCT && type->kind != HYPMEM_TYPE_UNION)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "%s: members of a type that is not a struct or union",
					   dw->path);
	for (size_t i = 0; i < dw->nr_mcache; i++) {
		if (dw->mcache[i].off == type->die_offset) {
			*members_ret = dw->mcache[i].members;
			*nr_ret = dw->mcache[i].nr;
			return NULL;
		}
	}
	err = type_die(dw, type, &die);
	if (err)
		return err;
	if (!hypmem_grow((void **)&dw->mcache, &dw->cap_mcache, dw->nr_mcache + 1,
			 sizeof(*dw->mcache)))
		return &hypmem_enomem;
	mc = &dw->mcache[dw->nr_mcache];
	*mc = (struct member_cache){.off = type->die_offset};
	err = load_members(dw, &die, mc);
	/* A struct can hold a pointer to itself, never itself (only a loop can). */
	for (size_t i = 0; !err && i < mc->nr; i++)
		if ((mc->members[i].type.kind == HYPMEM_TYPE_STRUCT ||
		     mc->members[i].type.kind == HYPMEM_TYPE_UNION) &&
		    mc->members[i].type.die_offset == type->die_offset)
			err = hypmem_error_create(HYPMEM_ERROR_DWARF,
						  "%s: struct at DIE 0x%" PRIx64
						  " holds itself (member '%s')",
						  dw->path, type->die_offset,
						  mc->members[i].name ? mc->members[i].name : "?");
	if (err) {
		free(mc->members);
		return err;
	}
	dw->nr_mcache++;
	*members_ret = mc->members;
	*nr_ret = mc->nr;
	return NULL;
}

/* Find @name (one path component) in @type, looking into anonymous members. */
static bool find_member(struct hypmem_dwarf *dw, const struct hypmem_type *type, const char *name,
			size_t name_len, struct hypmem_member *ret, int depth)
{
	const struct hypmem_member *members;
	struct hypmem_error *err;
	size_t nr;

	if (depth > MAX_MEMBER_DEPTH)
		return false;
	err = hypmem_dwarf_members(dw, type, &members, &nr);
	if (err) {
		hypmem_error_destroy(err);
		return false;
	}
	for (size_t i = 0; i < nr; i++) {
		const struct hypmem_member *m = &members[i];

		if (m->name && strlen(m->name) == name_len && !memcmp(m->name, name, name_len)) {
			*ret = *m;
			return true;
		}
		if (!m->name &&
		    (m->type.kind == HYPMEM_TYPE_STRUCT || m->type.kind == HYPMEM_TYPE_UNION) &&
		    find_member(dw, &m->type, name, name_len, ret, depth + 1)) {
			ret->offset += m->offset;
			return true;
		}
	}
	return false;
}

static bool member_path(struct hypmem_dwarf *dw, const struct hypmem_type *type, const char *path,
			struct hypmem_member *ret)
{
	struct hypmem_type cur = *type;
	uint64_t base = 0;

	for (int depth = 0; depth < MAX_MEMBER_DEPTH; depth++) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		if (cur.kind != HYPMEM_TYPE_STRUCT && cur.kind != HYPMEM_TYPE_UNION)
			return false;
		if (!find_member(dw, &cur, path, len, ret, 0))
			return false;
		base += ret->offset;
		if (!dot) {
			ret->offset = base;
			return true;
		}
		cur = ret->type;
		path = dot + 1;
	}
	return false;
}

struct hypmem_error *hypmem_dwarf_member(struct hypmem_dwarf *dw, const struct hypmem_type *type,
					 const char *path, struct hypmem_member *ret)
{
	char name[128];

	if (member_path(dw, type, path, ret))
		return NULL;
	return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "%s: %s has no member '%s'", dw->path,
				   hypmem_dwarf_type_name(dw, type, name, sizeof(name)), path);
}

bool hypmem_dwarf_has_member(struct hypmem_dwarf *dw, const struct hypmem_type *type,
			     const char *path, struct hypmem_member *ret)
{
	struct hypmem_member m;

	return member_path(dw, type, path, ret ? ret : &m);
}

/* --- variables and enumerators --- */

static bool variable_address(Dwarf_Die *die, uint64_t *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &ops, &nops) ||
	    nops != 1 || ops[0].atom != DW_OP_addr)
		return false;
	*ret = ops[0].number;
	return true;
}

struct hypmem_error *hypmem_dwarf_find_variable(struct hypmem_dwarf *dw, const char *name,
						uint64_t *addr_ret, struct hypmem_type *type_ret)
{
	const struct entry *e;
	struct hypmem_error *err;
	Dwarf_Die die, tdie;
	char prefixed[256];
	bool have_addr = false;

	err = lookup(dw, name, 1u << ENTRY_VARIABLE, true, &e);
	if (err)
		return err;
	if (e && !offdie(dw, e->off, &die))
		return hypmem_error_libdw(dw->path);
	if (e && variable_address(&die, addr_ret))
		have_addr = true;
	snprintf(prefixed, sizeof(prefixed), NVHE_PREFIX "%s", name);
	if (!have_addr) {
		err = hypmem_dwarf_find_symbol(dw, prefixed, addr_ret, NULL);
		if (err && hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP))
			err = hypmem_dwarf_find_symbol(dw, name, addr_ret, NULL);
		if (err) {
			hypmem_error_destroy(err);
			return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
						   "%s: no variable '%s' (neither symbol %s nor a "
						   "DWARF location)",
						   dw->path, name, prefixed);
		}
		/* A symbol exists: its description may be outside the hyp units. */
		if (type_ret && (!e || e->decl || !e->has_location)) {
			err = lookup(dw, name, 1u << ENTRY_VARIABLE, false, &e);
			if (err)
				return err;
			if (e && !offdie(dw, e->off, &die))
				return hypmem_error_libdw(dw->path);
		}
	}
	if (!type_ret)
		return NULL;
	if (!e || !die_type(&die, &tdie))
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "%s: DWARF does not describe variable '%s'", dw->path,
					   name);
	return make_type(dw, &tdie, type_ret);
}

struct hypmem_error *hypmem_dwarf_enumerator(struct hypmem_dwarf *dw, const char *name,
					     int64_t *value_ret)
{
	const struct entry *e;
	struct hypmem_error *err = lookup(dw, name, 1u << ENTRY_ENUMERATOR, true, &e);

	if (err)
		return err;
	if (!e)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "%s: DWARF has no enumerator '%s'",
					   dw->path, name);
	*value_ret = e->value;
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct hypmem_error *hypmem_dwarf_variables_of_type(struct hypmem_dwarf *dw, const char *type_name,
						    char ***names_ret, size_t *nr_ret)
{
	struct hypmem_type want;
	struct hypmem_error *err;
	const struct tier *t = &dw->tiers[0];
	char **names = NULL;
	size_t nr = 0, cap = 0;
	const char *last = NULL;

	*names_ret = NULL;
	*nr_ret = 0;
	err = hypmem_dwarf_find_type(dw, type_name, &want);
	if (err)
		return err;
	/* Entries are sorted by name: each name is considered once. */
	for (size_t i = 0; i < t->nr; i++) {
		const struct entry *e = &t->entries[i];
		struct hypmem_type vt;
		Dwarf_Die die, tdie;

		if (e->kind != ENTRY_VARIABLE || !e->has_location ||
		    (last && !strcmp(last, e->name)))
			continue;
		if (!offdie(dw, e->off, &die) || !die_type(&die, &tdie))
			continue;
		err = make_type(dw, &tdie, &vt);
		if (err)
			goto fail;
		if (vt.kind != want.kind || !vt.name || !want.name || strcmp(vt.name, want.name))
			continue;
		last = e->name;
		if (!hypmem_grow((void **)&names, &cap, nr + 1, sizeof(*names)))
			goto oom;
		if (!(names[nr] = strdup(e->name)))
			goto oom;
		nr++;
	}
	if (nr)
		qsort(names, nr, sizeof(*names), str_cmp);
	*names_ret = names;
	*nr_ret = nr;
	return NULL;
oom:
	err = &hypmem_enomem;
fail:
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return err;
}

struct hypmem_error *hypmem_dwarf_struct_names(struct hypmem_dwarf *dw, const char *prefix,
					       char ***names_ret, size_t *nr_ret)
{
	const struct tier *t = &dw->tiers[0];
	size_t lo = 0, hi = t->nr, len = strlen(prefix), nr = 0, cap = 0;
	char **names = NULL;

	*names_ret = NULL;
	*nr_ret = 0;
	/* Entries are sorted by name: the prefix's names are one run. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->entries[mid].name, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < t->nr && !strncmp(t->entries[i].name, prefix, len); i++) {
		const struct entry *e = &t->entries[i];

		if (e->kind != ENTRY_STRUCT || e->decl ||
		    (nr && !strcmp(names[nr - 1], e->name)))
			continue;
		if (!hypmem_grow((void **)&names, &cap, nr + 1, sizeof(*names)) ||
		    !(names[nr] = strdup(e->name))) {
			for (size_t j = 0; j < nr; j++)
				free(names[j]);
			free(names);
			return &hypmem_enomem;
		}
		nr++;
	}
	*names_ret = names;
	*nr_ret = nr;
	return NULL;
}

/* @len file bytes at link VA @va, from the PT_LOAD holding them; false if none does. */
static bool image_bytes(struct hypmem_dwarf *dw, uint64_t va, void *buf, size_t len, bool exec)
{
	size_t nr;

	if (elf_getphdrnum(dw->elf, &nr))
		return false;
	for (size_t i = 0; i < nr; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(dw->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    (exec && !(ph.p_flags & PF_X)) || va < ph.p_vaddr ||
		    va - ph.p_vaddr > ph.p_filesz || ph.p_filesz - (va - ph.p_vaddr) < len)
			continue;
		d = elf_getdata_rawchunk(dw->elf, (int64_t)(ph.p_offset + (va - ph.p_vaddr)), len,
					 ELF_T_BYTE);
		if (!d || !d->d_buf)
			continue;
		memcpy(buf, d->d_buf, len);
		return true;
	}
	return false;
}

struct hypmem_error *hypmem_dwarf_image_sample(struct hypmem_dwarf *dw, void *buf, size_t max,
					       size_t *len_ret, uint64_t *vaddr_ret)
{
	struct hypmem_error *err;
	uint64_t va, size;
	bool banner;
	size_t nr;

	if (max < 64)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "sample too small");
	/* A kernel patches its code at boot (alternatives); its banner stays as linked. */
	err = hypmem_dwarf_find_symbol(dw, "linux_banner", &va, &size);
	banner = !err;
	hypmem_error_destroy(err); /* no banner: the code below */
	if (banner && size >= 64) {
		*len_ret = size < max ? (size_t)size : max;
		if (image_bytes(dw, va, buf, *len_ret, false)) {
			*vaddr_ret = va;
			return NULL;
		}
	}
	if (elf_getphdrnum(dw->elf, &nr))
		return hypmem_error_libelf(dw->path);
	for (size_t i = 0; i < nr; i++) {
		GElf_Phdr ph;
		bool zero = true;

		if (!gelf_getphdr(dw->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || !image_bytes(dw, ph.p_vaddr, buf, max, true))
			continue;
		for (size_t k = 0; k < max && zero; k++)
			zero = !((const uint8_t *)buf)[k];
		if (zero)
			continue;
		*len_ret = max;
		*vaddr_ret = ph.p_vaddr;
		return NULL;
	}
	return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "%s: no code or banner to locate",
				   dw->path);
}

struct hypmem_error *hypmem_dwarf_check_pkvm(struct hypmem_dwarf *dw)
{
	static const char *const types[] = { "struct hyp_page", "struct hyp_pool" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct hypmem_error *err;
		struct hypmem_type type;

		err = hypmem_dwarf_find_type(dw, types[i], &type);
		if (!err)
			continue;
		if (!hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP))
			return err;
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: no pKVM hypervisor types in its DWARF (no %s): not a "
					   "pKVM vmlinux nor a hypmem EL2 image",
					   dw->path, types[i]);
	}
	return NULL;
}

/* --- open / close --- */

struct hypmem_error *hypmem_dwarf_open(const char *path, struct hypmem_dwarf **ret)
{
	struct hypmem_dwarf *dw = calloc(1, sizeof(*dw));
	struct hypmem_error *err;

	if (!dw)
		return &hypmem_enomem;
	dw->fd = -1;
	if (!(dw->path = strdup(path))) {
		free(dw);
		return &hypmem_enomem;
	}
	elf_version(EV_CURRENT);
	dw->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (dw->fd < 0 || fstat(dw->fd, &dw->st)) {
		err = hypmem_error_os(errno, "%s", path);
		goto fail;
	}
	dw->elf = elf_begin(dw->fd, ELF_C_READ_MMAP, NULL);
	if (!dw->elf || elf_kind(dw->elf) != ELF_K_ELF) {
		err = hypmem_error_create(HYPMEM_ERROR_ELF, "%s: not an ELF file", path);
		goto fail;
	}
	dw->dbg = dwarf_begin_elf(dw->elf, DWARF_C_READ, NULL);
	if (!dw->dbg) {
		err = hypmem_error_create(
		    HYPMEM_ERROR_DWARF,
		    "%s has no debug info (DWARF); use a vmlinux built with "
		    "CONFIG_DEBUG_INFO, e.g. from the linux-image-*-dbg package",
		    path);
		goto fail;
	}
	err = build_tier(dw, false);
	if (err)
		goto fail;
	if (!dw->tiers[0].nr) {
		/* No unit looks like hyp code (an odd build): index everything. */
		err = build_tier(dw, true);
		if (err)
			goto fail;
		struct tier tmp = dw->tiers[0];

		dw->tiers[0] = dw->tiers[1];
		dw->tiers[1] = tmp;
	}
	*ret = dw;
	return NULL;
fail:
	hypmem_dwarf_destroy(dw);
	return err;
}

void hypmem_dwarf_destroy(struct hypmem_dwarf *dw)
{
	if (!dw)
		return;
	for (size_t i = 0; i < dw->nr_mcache; i++)
		free(dw->mcache[i].members);
	free(dw->mcache);
	for (size_t i = 0; i < dw->nr_strings; i++)
		free(dw->strings[i]);
	free(dw->strings);
	free(dw->tiers[0].entries);
	free(dw->tiers[1].entries);
	free(dw->hyp_units);
	if (dw->cache_map)
		munmap(dw->cache_map, dw->cache_size);
	free(dw->syms);
	free(dw->sym_slots);
	if (dw->dbg)
		dwarf_end(dw->dbg);
	if (dw->elf)
		elf_end(dw->elf);
	if (dw->fd >= 0)
		close(dw->fd);
	free(dw->path);
	free(dw);
}

/* --- the image file itself --- */

static Elf_Scn *section_of(struct hypmem_dwarf *dw, uint64_t va, size_t n, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(dw->elf, scn))) {
		if (!gelf_getshdr(scn, shdr) || !(shdr->sh_flags & SHF_ALLOC) ||
		    shdr->sh_type != SHT_PROGBITS)
			continue;
		if (va >= shdr->sh_addr && va - shdr->sh_addr <= shdr->sh_size &&
		    n <= shdr->sh_size - (va - shdr->sh_addr))
			return scn;
	}
	return NULL;
}

struct hypmem_error *hypmem_dwarf_image_read(struct hypmem_dwarf *dw, uint64_t va, void *buf,
					     size_t n)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = section_of(dw, va, n, &shdr);
	Elf_Data *data;
	uint64_t off;

	if (!scn)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "%s: no section holds 0x%" PRIx64 "+%zu", dw->path, va, n);
	data = elf_rawdata(scn, NULL);
	off = va - shdr.sh_addr;
	if (!data || !data->d_buf || off > data->d_size || n > data->d_size - off)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "%s: section data of 0x%" PRIx64 " unreadable", dw->path, va);
	memcpy(buf, (const uint8_t *)data->d_buf + off, n);
	return NULL;
}

bool hypmem_dwarf_section(struct hypmem_dwarf *dw, const char *name, uint64_t *addr,
			  uint64_t *size)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(dw->elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(dw->elf, scn))) {
		GElf_Shdr shdr;
		const char *n;

		if (!gelf_getshdr(scn, &shdr) || !(n = elf_strptr(dw->elf, shstrndx, shdr.sh_name)))
			continue;
		if (!strcmp(n, name)) {
			*addr = shdr.sh_addr;
			*size = shdr.sh_size;
			return true;
		}
	}
	return false;
}

bool hypmem_dwarf_build_id(struct hypmem_dwarf *dw, char *buf, size_t len)
{
	const void *id;
	ssize_t n = dwelf_elf_gnu_build_id(dw->elf, &id);

	if (n <= 0 || len < 2 * (size_t)n + 1)
		return false;
	for (ssize_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", ((const uint8_t *)id)[i]);
	return true;
}
