// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd/cli.c, the option plumbing every command shares: numbers, the shared
 * target options, VMLINUX/VMCORE from positional arguments, --version's
 * text, and hypmem_cli_open()'s hint when the two files are swapped.
 * Messages go to stderr; the tests capture it in a temporary file.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "test.h"

/* stderr into a temporary file between capture_start() and capture_end(). */
static int saved_stderr = -1;
static FILE *capture_file;

static void capture_start(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	if (!capture_file)
		abort();
	saved_stderr = dup(2);
	if (saved_stderr < 0 || dup2(fileno(capture_file), 2) < 0)
		abort();
}

/* What was written since capture_start(), NUL-terminated, in @buf. */
static void capture_end(char *buf, size_t size)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(capture_file);
	n = fread(buf, 1, size - 1, capture_file);
	buf[n] = 0;
	fclose(capture_file);
}

TEST(u64_accepts_decimal_and_hex)
{
	uint64_t v = 7;

	CHECK(hypmem_cli_u64("0", &v));
	CHECK_EQ_U64(v, 0);
	CHECK(hypmem_cli_u64("4096", &v));
	CHECK_EQ_U64(v, 4096);
	CHECK(hypmem_cli_u64("0x40000000", &v));
	CHECK_EQ_U64(v, 0x40000000ULL);
	CHECK(hypmem_cli_u64("0XfFfF", &v));
	CHECK_EQ_U64(v, 0xffff);
	CHECK(hypmem_cli_u64("18446744073709551615", &v));
	CHECK_EQ_U64(v, UINT64_MAX);
	CHECK(hypmem_cli_u64("0xffffffffffffffff", &v));
	CHECK_EQ_U64(v, UINT64_MAX);
	/* A leading zero is not octal: the documented forms are decimal and 0x. */
	CHECK(hypmem_cli_u64("010", &v));
	CHECK_EQ_U64(v, 10);
}

TEST(u64_rejects_junk_and_overflow)
{
	static const char *const bad[] = {
	    "",	    "-1",	  "-0x10", "12abc", "0x",	    "4096 ", "0x1g",
	    "18446744073709551616", "0x10000000000000000", "abc", " 1", " -1", "+1", "0x-1", "0x 1",
	};
	uint64_t v = 0x5555;

	CHECK(!hypmem_cli_u64(NULL, &v));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hypmem_cli_u64(bad[i], &v)) {
			test_failed_checks++;
			printf("#   \"%s\" accepted as 0x%" PRIx64 "\n", bad[i], v);
		}
	}
	/* A refused string leaves the result alone. */
	CHECK_EQ_U64(v, 0x5555);
}

TEST(target_options_fill_the_config)
{
	struct hypmem_target_config cfg = {0};
	bool json = false;

	CHECK(hypmem_cli_target_option("t", &cfg, 's', "vmlinux.x", &json) == 1);
	CHECK(hypmem_cli_target_option("t", &cfg, 'c', "core.x", &json) == 1);
	CHECK(hypmem_cli_target_option("t", &cfg, HYPMEM_OPT_RAW, "ram.bin@0x40000000", &json) ==
	      1);
	CHECK(hypmem_cli_target_option("t", &cfg, HYPMEM_OPT_KASLR, "0x1200000", &json) == 1);
	CHECK(hypmem_cli_target_option("t", &cfg, HYPMEM_OPT_KIMAGE_VOFFSET, "123", &json) == 1);
	CHECK(!json && !cfg.force);
	CHECK(hypmem_cli_target_option("t", &cfg, HYPMEM_OPT_JSON, NULL, &json) == 1);
	CHECK(hypmem_cli_target_option("t", &cfg, HYPMEM_OPT_FORCE, NULL, &json) == 1);
	CHECK_STR(cfg.vmlinux, "vmlinux.x");
	CHECK_STR(cfg.core, "core.x");
	CHECK_STR(cfg.raw_spec, "ram.bin@0x40000000");
	CHECK(cfg.kaslr_offset_set);
	CHECK_EQ_U64(cfg.kaslr_offset, 0x1200000);
	CHECK(cfg.kimage_voffset_set);
	CHECK_EQ_U64(cfg.kimage_voffset, 123);
	CHECK(json && cfg.force);
}

/* Not a shared option: 0, and nothing touched. */
TEST(target_options_leave_others_alone)
{
	struct hypmem_target_config cfg = {0}, zero = {0};
	bool json = false;

	CHECK(hypmem_cli_target_option("t", &cfg, 'x', "arg", &json) == 0);
	CHECK(hypmem_cli_target_option("t", &cfg, HYPMEM_OPT_FIRST_PRIVATE, "arg", &json) == 0);
	CHECK(hypmem_cli_target_option("t", &cfg, '?', NULL, &json) == 0);
	CHECK(!memcmp(&cfg, &zero, sizeof(cfg)));
	CHECK(!json);
}

TEST(target_options_bad_numbers)
{
	struct hypmem_target_config cfg = {0};
	bool json = false;
	char msg[512];

	capture_start();
	CHECK(hypmem_cli_target_option("prog", &cfg, HYPMEM_OPT_KASLR, "12q", &json) == -1);
	CHECK(hypmem_cli_target_option("prog", &cfg, HYPMEM_OPT_KIMAGE_VOFFSET, "-5", &json) == -1);
	capture_end(msg, sizeof(msg));
	CHECK(!cfg.kaslr_offset_set && !cfg.kimage_voffset_set);
	CHECK(strstr(msg, "prog: --kaslr-offset: bad number '12q'") != NULL);
	CHECK(strstr(msg, "prog: --kimage-voffset: bad number '-5'") != NULL);
}

TEST(positional_takes_what_options_did_not)
{
	struct hypmem_target_config cfg = {0};
	char *two[] = {"vml", "core"}, *one[] = {"core2"};

	CHECK(hypmem_cli_positional("t", &cfg, 2, two, true) == 0);
	CHECK_STR(cfg.vmlinux, "vml");
	CHECK_STR(cfg.core, "core");

	/* -s given: the one positional argument is the core. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.vmlinux = "from-s";
	CHECK(hypmem_cli_positional("t", &cfg, 1, one, true) == 0);
	CHECK_STR(cfg.vmlinux, "from-s");
	CHECK_STR(cfg.core, "core2");

	/* --raw stands for the core. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.raw_spec = "r@0";
	CHECK(hypmem_cli_positional("t", &cfg, 1, two, true) == 0);
	CHECK_STR(cfg.vmlinux, "vml");
	CHECK(cfg.core == NULL);

	/* A command that needs no core takes the vmlinux alone. */
	memset(&cfg, 0, sizeof(cfg));
	CHECK(hypmem_cli_positional("t", &cfg, 1, two, false) == 0);
	CHECK_STR(cfg.vmlinux, "vml");
	CHECK(cfg.core == NULL);
}

TEST(positional_usage_errors)
{
	struct hypmem_target_config cfg = {0};
	char *three[] = {"a", "b", "c"}, *one[] = {"a"};
	char msg[1024];

	capture_start();
	CHECK(hypmem_cli_positional("p1", &cfg, 3, three, true) == -1);
	memset(&cfg, 0, sizeof(cfg));
	CHECK(hypmem_cli_positional("p2", &cfg, 0, three, false) == -1);
	memset(&cfg, 0, sizeof(cfg));
	CHECK(hypmem_cli_positional("p3", &cfg, 1, one, true) == -1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.core = "c";
	cfg.raw_spec = "r@0";
	CHECK(hypmem_cli_positional("p4", &cfg, 1, one, true) == -1);
	capture_end(msg, sizeof(msg));
	CHECK(strstr(msg, "p1: unexpected argument 'c'") != NULL);
	CHECK(strstr(msg, "p2: no VMLINUX given") != NULL);
	CHECK(strstr(msg, "p3: no VMCORE given") != NULL);
	CHECK(strstr(msg, "p4: give either a VMCORE or --raw, not both") != NULL);
}

TEST(version_text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	REQUIRE(f);
	hypmem_cli_version(f, "hypmem-x");
	fclose(f);
	CHECK(!strncmp(buf, "hypmem-x (hypmem) ", strlen("hypmem-x (hypmem) ")));
	CHECK(strstr(buf, "\ngit ") != NULL);
	CHECK(strstr(buf, "\nfeatures: ") != NULL);
	CHECK(size > 0 && buf[size - 1] == '\n');
	free(buf);
}

static void write_file(const char *path, const void *bytes, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(bytes, 1, n, f) != n)
		abort();
	fclose(f);
}

/* An ELF core given as VMLINUX, an image as VMCORE: the hint names the swap. */
TEST(open_suggests_the_swap)
{
	char dir[] = "/tmp/hypmem-cli-XXXXXX", core_path[64], img_path[64], msg[1024];
	/* ELF64, little-endian, version 1, e_type = ET_CORE (4). */
	unsigned char core[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	unsigned char kdump[32] = "KDUMP   ";
	const char text[] = "not a kernel image at all\n";
	struct hypmem_target_config cfg = {0};
	struct hypmem_target *t = NULL;

	REQUIRE(mkdtemp(dir));
	core[16] = 4;
	snprintf(core_path, sizeof(core_path), "%s/core", dir);
	snprintf(img_path, sizeof(img_path), "%s/img", dir);
	write_file(core_path, core, sizeof(core));
	write_file(img_path, text, sizeof(text) - 1);

	capture_start();
	cfg.vmlinux = core_path;
	cfg.core = img_path;
	CHECK(hypmem_cli_open("pa", &cfg, &t) == HYPMEM_EXIT_USAGE);
	/* Both dumps: no swap to suggest, only the open error. */
	write_file(img_path, kdump, sizeof(kdump));
	CHECK(hypmem_cli_open("pb", &cfg, &t) == HYPMEM_EXIT_USAGE);
	/* An image as VMLINUX: the plain error. */
	write_file(img_path, text, sizeof(text) - 1);
	cfg.vmlinux = img_path;
	cfg.core = core_path;
	CHECK(hypmem_cli_open("pc", &cfg, &t) == HYPMEM_EXIT_USAGE);
	capture_end(msg, sizeof(msg));
	CHECK(t == NULL);
	{
		char swap[256];

		snprintf(swap, sizeof(swap), "pa: %s is a dump, not a vmlinux", core_path);
		CHECK(strstr(msg, swap) != NULL);
		CHECK(strstr(msg, "swapped?") != NULL);
		CHECK(strstr(msg, "pb: ") != NULL);
		CHECK(strstr(msg, "pc: ") != NULL);
		/* Only pa's line suggests the swap. */
		CHECK(strstr(strstr(msg, "swapped?") + 1, "swapped?") == NULL);
	}
	unlink(core_path);
	unlink(img_path);
	rmdir(dir);
}

TEST(try_help_and_error)
{
	char msg[512];
	int a, b;

	capture_start();
	a = hypmem_cli_try_help("hypmem-q");
	b = hypmem_cli_error("hypmem-q",
			     hypmem_error_create(HYPMEM_ERROR_FORMAT, "broken thing %d", 42));
	capture_end(msg, sizeof(msg));
	CHECK(a == HYPMEM_EXIT_USAGE && b == HYPMEM_EXIT_USAGE);
	CHECK(strstr(msg, "Try 'hypmem-q --help' for more information.\n") != NULL);
	CHECK(strstr(msg, "hypmem-q") && strstr(msg, "broken thing 42"));
}

TEST_MAIN
