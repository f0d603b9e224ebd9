// SPDX-License-Identifier: GPL-2.0-only
/*
 * The EL1 host: a small program that plays the host kernel's part in pKVM.
 * It runs at EL1 with its MMU off (VA = IPA = PA) behind the host stage-2,
 * touches its memory (each first touch of a range faults to EL2, which maps
 * the largest block), shares and donates pages with EL2, and creates and
 * tears down protected VMs of various sizes with the kernel's hypercalls,
 * so that both coalesced and fragmented regions remain in the host
 * stage-2.  Deterministic for a given seed.
 *
 * Linked into its own section (image.lds): its code, data and stack are
 * pages EL2 never maps, hence the host's.  It may not call anything outside
 * this file (check-image.sh verifies), and holds no link-time pointers.
 */
#include "el2/kvm_asm.h"
#include "el2_arch.h"
#include "host_boot.h"

#define MAX_EXTENTS 512
#define MAX_VMS	    12
#define MAX_CHUNKS  4
#define MAX_SHARES  16
#define UARTFR	    0x18
#define FR_TXFF	    (1U << 5)

struct extent {
	u64 start, end; /* PFNs */
};

struct host_vm {
	long handle; /* 0: free */
	u64 meta_pfn, meta_nr;
	unsigned int nr_chunks;
	u64 chunk_pfn[MAX_CHUNKS], chunk_nr[MAX_CHUNKS];
	u64 shared_pfn; /* layout 8: a page of the host's the VM shares; 0: none */
};

struct host_state {
	u64 rng;
	unsigned int nr_ext;
	struct extent ext[MAX_EXTENTS];
	struct host_vm vms[MAX_VMS];
	u64 live_pages, budget_pages, max_chunk;
	unsigned int nr_shares;
	u64 shares[MAX_SHARES];
	u64 failures;
};

static struct host_state hs;
u64 __host_stack[HOST_STACK_WORDS] __aligned(16);

/* --- hypercalls, console --- */

static long hvc(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return x0 == SMCCC_RET_SUCCESS ? (long)x1 : -1;
}

static void putc_uart(char c)
{
	volatile u32 *uart = (volatile u32 *)VIRT_UART_PA;

	while (uart[UARTFR / 4] & FR_TXFF)
		;
	uart[0] = (u8)c;
}

static void puts_uart(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_uart('\r');
		putc_uart(*s);
	}
}

static void put_dec(u64 v)
{
	char buf[24];
	int i = 0;

	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		putc_uart(buf[--i]);
}

/* --- randomness, touching memory --- */

static u64 rnd(void)
{
	u64 x = hs.rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	hs.rng = x;
	return x;
}

static u64 rnd_range(u64 lo, u64 hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* The host writes its memory: each first touch of a range faults to EL2. */
static void touch(u64 pfn, u64 nr, u64 stride)
{
	u64 i;

	for (i = 0; i < nr; i += stride)
		*(volatile u64 *)((pfn + i) << PAGE_SHIFT) = pfn + i;
	*(volatile u64 *)((pfn + nr - 1) << PAGE_SHIFT) = pfn;
}

/* --- the host's own page allocator: sorted free extents --- */

static void ext_remove(unsigned int i)
{
	for (; i + 1 < hs.nr_ext; i++)
		hs.ext[i] = hs.ext[i + 1];
	hs.nr_ext--;
}

static bool ext_insert(unsigned int i, u64 start, u64 end)
{
	unsigned int j;

	if (hs.nr_ext == MAX_EXTENTS)
		return false;
	for (j = hs.nr_ext; j > i; j--)
		hs.ext[j] = hs.ext[j - 1];
	hs.ext[i].start = start;
	hs.ext[i].end = end;
	hs.nr_ext++;
	return true;
}

/* @nr pages at a random place of a random extent that holds them; 0 if none. */
static u64 host_alloc(u64 nr)
{
	unsigned int first = hs.nr_ext ? rnd() % hs.nr_ext : 0, k;

	for (k = 0; k < hs.nr_ext; k++) {
		unsigned int i = (first + k) % hs.nr_ext;
		struct extent *e = &hs.ext[i];
		u64 start, end;

		if (e->end - e->start < nr)
			continue;
		start = e->start + rnd() % (e->end - e->start - nr + 1);
		end = start + nr;
		if (start == e->start) {
			e->start = end;
		} else if (end == e->end) {
			e->end = start;
		} else {
			if (!ext_insert(i + 1, end, e->end))
				continue;
			hs.ext[i].end = start;
		}
		if (hs.ext[i].start == hs.ext[i].end)
			ext_remove(i);
		return start;
	}
	return 0;
}

static void host_free(u64 pfn, u64 nr)
{
	unsigned int i = 0;

	while (i < hs.nr_ext && hs.ext[i].end < pfn)
		i++;
	if (i < hs.nr_ext && hs.ext[i].end == pfn) {
		hs.ext[i].end += nr;
		if (i + 1 < hs.nr_ext && hs.ext[i + 1].start == hs.ext[i].end) {
			hs.ext[i].end = hs.ext[i + 1].end;
			ext_remove(i + 1);
		}
		return;
	}
	if (i < hs.nr_ext && hs.ext[i].start == pfn + nr) {
		hs.ext[i].start = pfn;
		return;
	}
	if (!ext_insert(i, pfn, pfn + nr))
		hs.failures++; /* the pages are lost to the host, nothing worse */
}

/* --- protected VMs --- */

static struct host_vm *vm_create(void)
{
	struct host_vm *vm = NULL;
	unsigned int i;
	long handle;

	for (i = 0; i < MAX_VMS && !vm; i++)
		if (!hs.vms[i].handle)
			vm = &hs.vms[i];
	if (!vm)
		return NULL;
	vm->meta_nr = rnd_range(1, 4);
#if HYP_PAGE_LAYOUT == 8
	/*
	 * 7.x era: the metadata also holds the VM's pool, which builds its
	 * guest stage-2: a concatenated root (up to 16 pages) and the tables
	 * for MAX_CHUNKS chunks mapped at consecutive gfns.
	 */
	vm->meta_nr += 16 + MAX_CHUNKS * (hs.max_chunk / 512 + 3);
#endif
	vm->meta_pfn = host_alloc(vm->meta_nr);
	if (!vm->meta_pfn)
		return NULL;
	touch(vm->meta_pfn, vm->meta_nr, 1);
	handle = hvc(KVM_HOST_SMCCC_FUNC(__pkvm_init_vm), vm->meta_pfn, vm->meta_nr, 0);
	if (handle <= 0) {
		hs.failures++;
		host_free(vm->meta_pfn, vm->meta_nr);
		return NULL;
	}
	vm->handle = handle;
	vm->nr_chunks = 0;
	return vm;
}

/* Guest memory: touched by the host first, as the kernel pins faulted pages. */
static void vm_add_memory(struct host_vm *vm)
{
	unsigned int n = rnd_range(1, MAX_CHUNKS), i;

	for (i = 0; i < n && hs.live_pages < hs.budget_pages; i++) {
		u64 nr = rnd_range(16, hs.max_chunk), pfn = host_alloc(nr);

		if (!pfn)
			break;
		touch(pfn, nr, 16);
		if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_host_donate_guest), vm->handle, pfn, nr)) {
			hs.failures++;
			host_free(pfn, nr);
			continue;
		}
		vm->chunk_pfn[vm->nr_chunks] = pfn;
		vm->chunk_nr[vm->nr_chunks++] = nr;
		hs.live_pages += nr;
	}
#if HYP_PAGE_LAYOUT == 8
	/* And a page the host keeps but shares with the VM (host_share_guest_count). */
	vm->shared_pfn = host_alloc(1);
	if (vm->shared_pfn) {
		touch(vm->shared_pfn, 1, 1);
		if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_host_share_guest), vm->handle, vm->shared_pfn,
			0)) {
			hs.failures++;
			host_free(vm->shared_pfn, 1);
			vm->shared_pfn = 0;
		}
	}
#endif
}

/* Teardown, then take every page back and use it again (coalesced blocks). */
static void vm_destroy(struct host_vm *vm)
{
	unsigned int i;

	if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_teardown_vm), vm->handle, 0, 0)) {
		hs.failures++;
		return;
	}
	host_free(vm->meta_pfn, vm->meta_nr);
	for (i = 0; i < vm->nr_chunks; i++) {
		if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_reclaim_dying_guest_page), vm->handle,
			vm->chunk_pfn[i], vm->chunk_nr[i])) {
			hs.failures++;
			continue;
		}
		touch(vm->chunk_pfn[i], vm->chunk_nr[i], 128);
		host_free(vm->chunk_pfn[i], vm->chunk_nr[i]);
		hs.live_pages -= vm->chunk_nr[i];
	}
	if (vm->shared_pfn) {
		if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_reclaim_dying_guest_page), vm->handle,
			vm->shared_pfn, 1))
			hs.failures++;
		else
			host_free(vm->shared_pfn, 1);
		vm->shared_pfn = 0;
	}
	vm->handle = 0;
}

static struct host_vm *random_live_vm(void)
{
	unsigned int first = rnd() % MAX_VMS, k;

	for (k = 0; k < MAX_VMS; k++)
		if (hs.vms[(first + k) % MAX_VMS].handle)
			return &hs.vms[(first + k) % MAX_VMS];
	return NULL;
}

/* --- sharing and donating to EL2 --- */

static void share_pages(unsigned int n)
{
	for (; n && hs.nr_shares < MAX_SHARES; n--) {
		u64 pfn = host_alloc(1);

		if (!pfn)
			return;
		touch(pfn, 1, 1);
		if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_host_share_hyp), pfn, 0, 0)) {
			hs.failures++;
			continue;
		}
		hs.shares[hs.nr_shares++] = pfn;
	}
}

static void unshare_some(void)
{
	unsigned int i, kept = 0;

	for (i = 0; i < hs.nr_shares; i++) {
		if (rnd() & 1) {
			hs.shares[kept++] = hs.shares[i];
			continue;
		}
		if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_host_unshare_hyp), hs.shares[i], 0, 0))
			hs.failures++;
		else
			host_free(hs.shares[i], 1);
	}
	hs.nr_shares = kept;
}

static void donate_to_hyp(unsigned int n)
{
	for (; n; n--) {
		u64 nr = rnd_range(1, 8), pfn = host_alloc(nr);

		if (!pfn)
			return;
		touch(pfn, nr, 1);
		if (hvc(KVM_HOST_SMCCC_FUNC(__pkvm_host_donate_hyp), pfn, nr, 0)) {
			hs.failures++;
			host_free(pfn, nr);
		}
	}
}

/* --- the run --- */

static void host_init(u64 free_start, u64 free_end, u64 rsv_start, u64 rsv_end, u64 seed)
{
	u64 pages = (free_end - free_start) >> PAGE_SHIFT;

	hs.rng = (seed ^ 0x2545f4914f6cdd1dULL) * 0x9e3779b97f4a7c15ULL;
	if (!hs.rng)
		hs.rng = 1;
	hs.nr_ext = 0;
	if (rsv_end > rsv_start && rsv_start < free_end && rsv_end > free_start) {
		if (rsv_start > free_start)
			ext_insert(hs.nr_ext, free_start >> PAGE_SHIFT, rsv_start >> PAGE_SHIFT);
		if (rsv_end < free_end)
			ext_insert(hs.nr_ext, rsv_end >> PAGE_SHIFT, free_end >> PAGE_SHIFT);
	} else {
		ext_insert(0, free_start >> PAGE_SHIFT, free_end >> PAGE_SHIFT);
	}
	/* Guests hold at most an eighth of the host's memory at a time. */
	hs.budget_pages = pages / 8;
	hs.max_chunk = pages / 64 < 16 ? 16 : pages / 64;
}

static void host_round(u64 round)
{
	struct host_vm *vm;

	/* Tear down an older VM most of the time, or when over budget. */
	if ((round && rnd() % 10 < 6) || hs.live_pages >= hs.budget_pages) {
		vm = random_live_vm();
		if (vm)
			vm_destroy(vm);
	}
	vm = vm_create();
	if (vm)
		vm_add_memory(vm);
	/* The host keeps using its own memory meanwhile. */
	touch(hs.ext[rnd() % hs.nr_ext].start, 1, 1);
}

void __noreturn host_main(u64 ram_base, u64 ram_size, u64 free_start, u64 free_end,
			  u64 reserved_start, u64 reserved_end, u64 seed, u64 rounds)
{
	u64 round, live = 0;
	unsigned int i;

	(void)ram_base;
	(void)ram_size;
	puts_uart("hypmem host: EL1 under stage-2, ");
	put_dec((free_end - free_start) >> 20);
	puts_uart(" MiB to play with\n");

	host_init(free_start, free_end, reserved_start, reserved_end, seed);
	for (i = 0; i < 24; i++) {
		u64 pfn = host_alloc(1);

		if (pfn)
			touch(pfn, 1, 1);
	}
	share_pages(MAX_SHARES);
	donate_to_hyp(4);
	for (round = 0; round < rounds; round++)
		host_round(round);
	unshare_some();

	for (i = 0; i < MAX_VMS; i++)
		live += hs.vms[i].handle != 0;
	puts_uart("hypmem host: ");
	put_dec(rounds);
	puts_uart(" rounds, ");
	put_dec(live);
	puts_uart(" VMs left, ");
	put_dec(hs.failures);
	puts_uart(" refused calls\n");
	hvc(KVM_HOST_SMCCC_FUNC(__hypmem_host_exit), hs.failures, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

/* An exception at EL1: report it to EL2, which stops. */
void __noreturn host_bad_exception(u64 type)
{
	u64 esr, elr, far;

	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	hvc(KVM_HOST_SMCCC_FUNC(__hypmem_host_panic), type, esr, elr);
	(void)far;
	for (;;)
		__asm__ volatile("wfi");
}

/* EL1's vector table: every entry reports. */
__asm__(".pushsection .text.host_vectors, \"ax\"\n"
	".balign 0x800\n"
	".globl __host_el1_vectors\n"
	"__host_el1_vectors:\n"
	".irp t, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	".balign 0x80\n"
	"mov x0, #\\t\n"
	"b host_bad_exception\n"
	".endr\n"
	".popsection\n");
