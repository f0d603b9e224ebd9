// SPDX-License-Identifier: GPL-2.0-only
/*
 * A struct's layout as JSON, from the DWARF layer's member list: what
 * hypmem-dump layout --json prints.
 */
#include <json-c/json.h>

#include "hypmem/dwarf.h"
#include "hypmem/report.h"

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
