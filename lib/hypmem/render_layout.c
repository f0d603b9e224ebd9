// SPDX-License-Identifier: GPL-2.0-only
/*
 * A struct's layout from the DWARF layer's member list: as JSON (what
 * hypmem-dump layout --json prints) and pahole-style text.
 */
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "hypmem/render.h"

struct json_object *hypmem_dwarf_struct_json(struct hypmem_dwarf *dw, const struct hypmem_type *type)
{
	const struct hypmem_member *members;
	struct json_object *o, *arr;
	struct hypmem_error *err;
	char name[256];
	size_t nr;

	err = hypmem_dwarf_members(dw, type, &members, &nr);
	if (err) {
		hypmem_error_destroy(err);
		return NULL;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	if (!o || !arr) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	json_object_object_add(o, "name", json_object_new_string(
						  hypmem_dwarf_type_name(dw, type, name, sizeof(name))));
	json_object_object_add(o, "size", json_object_new_uint64(type->size));
	for (size_t i = 0; i < nr; i++) {
		struct json_object *m = json_object_new_object();

		if (!m)
			break;
		json_object_object_add(m, "name",
				       json_object_new_string(members[i].name ? members[i].name : ""));
		json_object_object_add(
			m, "type",
			json_object_new_string(members[i].type_name ?
						       members[i].type_name :
						       hypmem_dwarf_type_name(dw, &members[i].type, name,
									      sizeof(name))));
		json_object_object_add(m, "offset", json_object_new_uint64(members[i].offset));
		json_object_object_add(m, "size", json_object_new_uint64(members[i].type.size));
		if (members[i].bit_size) {
			json_object_object_add(m, "bit_offset",
					       json_object_new_uint64(members[i].bit_offset));
			json_object_object_add(m, "bit_size",
					       json_object_new_uint64(members[i].bit_size));
		}
		json_object_array_add(arr, m);
	}
	json_object_object_add(o, "members", arr);
	return o;
}

/* --- pahole-style printing --- */

void hypmem_dwarf_print_struct(struct hypmem_dwarf *dw, const struct hypmem_type *type, FILE *out)
{
	const struct hypmem_member *members;
	struct hypmem_error *err;
	char name[256];
	uint64_t end = 0, holes = 0, nr_holes = 0, sum = 0;
	size_t nr;

	hypmem_dwarf_type_name(dw, type, name, sizeof(name));
	err = hypmem_dwarf_members(dw, type, &members, &nr);
	if (err) {
		fprintf(out, "/* %s: %s */\n", name, err->message);
		hypmem_error_destroy(err);
		return;
	}
	fprintf(out, "%s {\n", name);
	for (size_t i = 0; i < nr; i++) {
		const struct hypmem_member *m = &members[i];
		char decl[320];
		uint64_t msize = m->bit_size ? (m->bit_offset + m->bit_size + 7) / 8 : m->type.size;

		if (type->kind == HYPMEM_TYPE_STRUCT && m->offset > end && !m->bit_size) {
			fprintf(out, "\n\t/* XXX %" PRIu64 " bytes hole, try to pack */\n\n",
				m->offset - end);
			holes += m->offset - end;
			nr_holes++;
		}
		const char *tname = m->type_name ? m->type_name : "?";
		const char *dims = strchr(tname, '[');
		int tlen = dims ? (int)(dims - tname) : (int)strlen(tname);

		/* C declarator order, as pahole prints it: "struct list_head free_area[11];" */
		if (m->bit_size)
			snprintf(decl, sizeof(decl), "%s:%u;", m->name ? m->name : "", m->bit_size);
		else
			snprintf(decl, sizeof(decl), "%s%s;", m->name ? m->name : "",
				 dims ? dims : "");
		fprintf(out, "\t%-26.*s %-21s", tlen, tname, decl);
		if (m->bit_size)
			fprintf(out, " /* %5" PRIu64 ":%2u %4" PRIu64 " */\n", m->offset,
				m->bit_offset, msize);
		else
			fprintf(out, " /* %5" PRIu64 " %5" PRIu64 " */\n", m->offset, msize);
		if (m->offset + msize > end)
			end = m->offset + msize;
		if (!m->bit_size)
			sum += msize;
	}
	fprintf(out, "\n\t/* size: %" PRIu64 ", cachelines: %" PRIu64 ", members: %zu */\n",
		type->size, (type->size + 63) / 64, nr);
	if (nr_holes)
		fprintf(out,
			"\t/* sum members: %" PRIu64 ", holes: %" PRIu64 ", sum holes: %" PRIu64
			" */\n",
			sum, nr_holes, holes);
	if (type->kind == HYPMEM_TYPE_STRUCT && type->size > end)
		fprintf(out, "\t/* padding: %" PRIu64 " */\n", type->size - end);
	fprintf(out, "};\n");
}
