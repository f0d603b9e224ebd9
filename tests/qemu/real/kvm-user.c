// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-user: give a real pKVM hypervisor some guest state to hold.
 *
 * Runs inside the initramfs of a real arm64 kernel booted with
 * kvm-arm.mode=protected.  Creates NR_VMS VMs, each with one vCPU whose
 * guest code stores a counter to an unbacked IPA in a loop; every store is
 * an MMIO exit to us.  After a few exits per VM it prints the ready marker
 * and sleeps forever, so the VMs (their hyp-side state, their stage-2
 * tables, the pages shared between host and hyp) stay alive for the dump.
 *
 * With --phases it first says HYPMEM-REAL-BEFORE and waits for a line on
 * /dev/console (real-dumps writes one once it has dumped the boot before
 * any VM exists; a minute without one: go on).
 *
 * Where the kernel has protected VMs (KVM_VM_TYPE_ARM_PROTECTED, 7.x), one
 * more VM is protected: the pages it touches are donated to it, not
 * shared, so the host stage-2 annotates them with the VM's handle and
 * gfn.  It runs until its first exit or for a second, whichever comes
 * first; kernels that refuse the type are told apart and skipped.
 *
 * Built with aarch64-linux-gnu-gcc -static; no library beyond libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define NR_VMS	     2
#define NR_EXITS     4
#define GUEST_RAM    0x0ULL	    /* guest IPA of the memslot */
#define GUEST_SIZE   0x10000ULL
#define GUEST_PC     0x800ULL	    /* code here; the vectors at 0 park the vCPU */
#define GUEST_MMIO   0x10000000ULL /* no memslot there: stores exit */
#ifndef KVM_VM_TYPE_ARM_PROTECTED
#define KVM_VM_TYPE_ARM_PROTECTED (1UL << 31)
#endif

/* The guest, at GUEST_PC: x0 = GUEST_MMIO; loop { x1++; *x0 = x1; } */
static const uint32_t guest_code[] = {
	0xd2a20000, /* movz x0, #0x1000, lsl #16 */
	0xd2800001, /* mov  x1, #0 */
	0x91000421, /* 1: add x1, x1, #1 */
	0xf9000001, /* str  x1, [x0] */
	0x17fffffe, /* b    1b */
};

static void die(const char *what)
{
	fprintf(stderr, "kvm-user: error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_alarm(int sig)
{
	(void)sig;
	alarm(5);
}

static uint64_t get_reg(int vcpu, uint64_t id)
{
	uint64_t v = 0;
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&v };

	ioctl(vcpu, KVM_GET_ONE_REG, &reg);
	return v;
}

#define CORE_REG(field) \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

/* A vCPU that has not exited for a while: say where it is (debugging aid). */
static void report_stuck(int vcpu, int nr)
{
	fprintf(stderr, "kvm-user: vm %d: still in the guest: pc 0x%llx elr 0x%llx esr 0x%llx\n",
		nr, (unsigned long long)get_reg(vcpu, CORE_REG(regs.pc)),
		(unsigned long long)get_reg(vcpu, CORE_REG(elr_el1)),
		(unsigned long long)get_reg(vcpu, ARM64_SYS_REG(3, 0, 5, 2, 0)));
}

static int start_vm(int kvm, int nr, int protected)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = GUEST_RAM, .memory_size = GUEST_SIZE,
	};
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	uint64_t pc = GUEST_PC;
	struct kvm_one_reg reg = { .id = CORE_REG(regs.pc), .addr = (uintptr_t)&pc };
	int vm, vcpu, exits = 0;
	long run_size;
	void *mem;

	vm = ioctl(kvm, KVM_CREATE_VM, protected ? KVM_VM_TYPE_ARM_PROTECTED : 0);
	if (vm < 0 && protected && errno == EINVAL) {
		printf("kvm-user: no protected VMs in this kernel\n");
		return -1;
	}
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest RAM");
	for (unsigned int v = 0; v < 0x800; v += 0x80) /* b . */
		memcpy((uint8_t *)mem + v, &(uint32_t){ 0x14000000 }, 4);
	memcpy((uint8_t *)mem + GUEST_PC, guest_code, sizeof(guest_code));
	slot.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die("KVM_ARM_PREFERRED_TARGET");
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
		die("KVM_ARM_VCPU_INIT");
	if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0)
		die("KVM_SET_ONE_REG pc");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	if (protected) {
		/* Any outcome will do: what matters is the memory it was given. */
		int r;

		alarm(1);
		r = ioctl(vcpu, KVM_RUN, 0);

		printf("kvm-user: vm %d (protected): %s, exit %u\n", nr,
		       r < 0 ? strerror(errno) : "ran", run->exit_reason);
		return vm;
	}
	while (exits < NR_EXITS) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno != EINTR)
				die("KVM_RUN");
			report_stuck(vcpu, nr);
			continue;
		}
		if (run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "kvm-user: error: vm %d: unexpected exit %u\n", nr,
				run->exit_reason);
			exit(1);
		}
		exits++;
	}
	printf("kvm-user: vm %d: %d MMIO exits, last write 0x%llx to 0x%llx\n", nr, exits,
	       (unsigned long long)*(uint64_t *)run->mmio.data,
	       (unsigned long long)run->mmio.phys_addr);
	return vm;
}

/* Say HYPMEM-REAL-BEFORE and wait up to a minute for a line on the console. */
static void before(void)
{
	int in = open("/dev/console", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	struct pollfd pfd = { .fd = in, .events = POLLIN };
	char line[64];

	if (in < 0)
		die("/dev/console");
	printf("HYPMEM-REAL-BEFORE\n");
	fflush(stdout);
	if (poll(&pfd, 1, 60000) != 1 || read(in, line, sizeof(line)) <= 0)
		printf("kvm-user: no answer after HYPMEM-REAL-BEFORE\n");
	close(in);
}

int main(int argc, char **argv)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	struct sigaction sa = { .sa_handler = on_alarm };

	if (kvm < 0)
		die("/dev/kvm");
	if (argc > 1 && !strcmp(argv[1], "--phases"))
		before();
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
	alarm(5);
	for (int i = 0; i < NR_VMS; i++)
		start_vm(kvm, i, 0);
	start_vm(kvm, NR_VMS, 1);
	alarm(0);
	printf("HYPMEM-REAL-READY\n");
	fflush(stdout);
	for (;;)
		pause();
}
