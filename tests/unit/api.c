// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the public API's options and errors (hypmem.h), the part
 * that needs no dump; tests/integration/python_api.py and packaging.py
 * check the decoded values against the commands.  Run under ASan+UBSan
 * too, so a leak in the options or error paths fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hypmem/error.h"
#include "hypmem/hypmem.h"
#include "test.h"

static struct hypmem_error *open_with(const char *vmlinux, const char *core, const char *raw)
{
	struct hypmem_options *o;
	struct hypmem *hm = NULL;
	struct hypmem_error *err = hypmem_options_create(&o);

	if (err)
		return err;
	/* Set twice: the second value replaces the first (ASan sees no leak). */
	if (vmlinux && !(err = hypmem_options_set_vmlinux(o, "first")))
		err = hypmem_options_set_vmlinux(o, vmlinux);
	if (!err && core)
		err = hypmem_options_set_core(o, core);
	if (!err && raw)
		err = hypmem_options_set_raw(o, raw);
	hypmem_options_set_kaslr_offset(o, 0x1000);
	hypmem_options_set_kimage_voffset(o, 0xffff800000000000ULL);
	hypmem_options_set_force(o, true);
	if (!err)
		err = hypmem_open(o, &hm);
	hypmem_options_destroy(o);
	if (!err) {
		hypmem_close(hm);
		return hypmem_error_create(HYPMEM_ERROR_OTHER, "opened");
	}
	return err;
}

TEST(no_vmlinux)
{
	struct hypmem_error *err = open_with(NULL, "vmcore", NULL);

	REQUIRE(err);
	CHECK_STR(hypmem_error_kind(err), "INVALID_ARGUMENT");
	CHECK_STR(hypmem_error_message(err), "no vmlinux given");
	hypmem_error_destroy(err);
}

TEST(core_and_raw)
{
	struct hypmem_error *err = open_with("vmlinux", "vmcore", "ram.bin@0x40000000");

	REQUIRE(err);
	CHECK_STR(hypmem_error_kind(err), "INVALID_ARGUMENT");
	hypmem_error_destroy(err);
}

TEST(missing_file)
{
	struct hypmem_error *err = open_with("/nonexistent/hypmem-vmlinux", NULL, NULL);
	uint64_t addr = 7;

	REQUIRE(err);
	CHECK_STR(hypmem_error_kind(err), "OS");
	CHECK(strstr(hypmem_error_message(err), "/nonexistent/hypmem-vmlinux") != NULL);
	CHECK(!hypmem_error_address(err, &addr));
	CHECK_EQ_U64(addr, 7);
	hypmem_error_destroy(err);
}

TEST(not_an_image)
{
	char path[] = "/tmp/hypmem-api-XXXXXX";
	int fd = mkstemp(path);
	struct hypmem_error *err;

	REQUIRE(fd >= 0);
	CHECK(write(fd, "not an ELF file\n", 16) == 16);
	close(fd);
	err = open_with(path, NULL, NULL);
	unlink(path);
	REQUIRE(err);
	CHECK(strcmp(hypmem_error_kind(err), "OTHER") != 0); /* refused, not opened */
	CHECK(strcmp(hypmem_error_kind(err), "NO_MEMORY") != 0);
	CHECK(hypmem_error_message(err)[0] != '\0');
	hypmem_error_destroy(err);
}

TEST(fault_address)
{
	struct hypmem_error *err = hypmem_error_fault(0x40215000, "PA 0x40215000 not in dump");
	uint64_t addr = 0;

	CHECK_STR(hypmem_error_kind(err), "FAULT");
	CHECK(hypmem_error_address(err, &addr));
	CHECK_EQ_U64(addr, 0x40215000);
	CHECK_STR(hypmem_error_message(err), "PA 0x40215000 not in dump");
	hypmem_error_destroy(err);
}

TEST(null_is_fine)
{
	hypmem_close(NULL);
	hypmem_options_destroy(NULL);
	hypmem_error_destroy(NULL);
	CHECK(hypmem_version()[0] != '\0');
}

TEST_MAIN
