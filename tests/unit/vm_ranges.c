// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_ranges: each VM's memory for the map, from its guest stage-2 runs
 * (valid leaves' output ranges, sorted and merged; VMs without a guest
 * stage-2 left to the ranges[] reader).
 */
#include <stdlib.h>
#include <string.h>

#include "hypmem/vm_ranges.h"
#include "hypmem/vms.h"
#include "test.h"

static struct hypmem_s2_run run(uint64_t ipa, uint64_t size, uint64_t phys, bool valid)
{
	return (struct hypmem_s2_run){ .start = ipa, .end = ipa + size, .phys = phys,
				       .valid = valid, .level = 3 };
}

TEST(from_guest_stage2)
{
	struct hypmem_s2_run a[] = {
		/* IPA order is not PA order; two pieces touch in PA; one is invalid. */
		run(0x0, 0x4000, 0x80010000, true),
		run(0x4000, 0x4000, 0x80000000, true),
		run(0x8000, 0x4000, 0x80004000, true),
		run(0xc000, 0x4000, 0x90000000, false),
	};
	struct hypmem_s2_run b[] = { run(0x0, 0x4000, 0xa0000000, true) };
	struct hypmem_vm vm[3];
	struct hypmem_vms vms = { .found = true, .vms = vm, .nr = 3 };
	struct hypmem_vm_mems m;

	memset(vm, 0, sizeof(vm));
	vm[0].handle = 0x1000;
	vm[0].s2.found = true;
	vm[0].s2.runs = a;
	vm[0].s2.nr_runs = sizeof(a) / sizeof(a[0]);
	vm[1].handle = 0x1001; /* no guest stage-2 yet: left out */
	vm[2].handle = 0x1002;
	vm[2].s2.found = true;
	vm[2].s2.runs = b;
	vm[2].s2.nr_runs = 1;
	REQUIRE(hypmem_vm_mems_from_vms(&vms, &m) == NULL);
	REQUIRE(m.nr == 2);
	CHECK_EQ_U64(m.vms[0].handle, 0x1000);
	CHECK(m.vms[0].from_stage2);
	REQUIRE(m.vms[0].nr_ranges == 2);
	CHECK_EQ_U64(m.vms[0].ranges[0].start, 0x80000000);
	CHECK_EQ_U64(m.vms[0].ranges[0].end, 0x80008000);
	CHECK_EQ_U64(m.vms[0].ranges[1].start, 0x80010000);
	CHECK_EQ_U64(m.vms[0].ranges[1].end, 0x80014000);
	CHECK_EQ_U64(m.vms[1].handle, 0x1002);
	REQUIRE(m.vms[1].nr_ranges == 1);
	CHECK_EQ_U64(m.vms[1].ranges[0].start, 0xa0000000);
	hypmem_vm_mems_deinit(&m);
	CHECK(m.nr == 0 && m.vms == NULL);
}

TEST(no_vms)
{
	struct hypmem_vms vms = { 0 };
	struct hypmem_vm_mems m;

	REQUIRE(hypmem_vm_mems_from_vms(&vms, &m) == NULL);
	CHECK(m.nr == 0);
	hypmem_vm_mems_deinit(&m);
}

TEST_MAIN
