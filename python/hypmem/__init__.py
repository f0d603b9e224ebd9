# SPDX-License-Identifier: GPL-2.0-only
"""hypmem: the pKVM hypervisor's memory in a crash dump, from Python.

A ctypes binding of libhypmem.so.0 (hypmem.h, libhypmem(3)); nothing to
compile.  A Target opens a vmlinux (or the hypmem EL2 image) with a dump
and hands out what the decoders found as small objects:

    >>> import hypmem
    >>> prog = hypmem.Target("vmlinux", "vmcore")
    >>> for pool in prog.pools():
    ...     print(pool.name, pool.free_pages, "of", pool.nr_pages)
    >>> prog.page(0x40215000).s2.owner
    'hyp'

Errors are raised as HypmemError (kind, message, address).  The library is
found through $HYPMEM_LIBRARY, then beside the installed package
(PREFIX/lib), then by the dynamic linker's search (LD_LIBRARY_PATH,
ld.so.cache).
"""
import ctypes
import os
from dataclasses import dataclass, field
from typing import List, Optional

__all__ = ["Target", "HypmemError", "Pool", "VmemmapEntry", "Run", "Chunk", "Page",
           "Finding", "version"]

_u64 = ctypes.c_uint64
_ORDERS = 16
_MAX_MAPS = 16
_MAX_CHUNKS = 8


class _PoolInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 64), ("address", _u64), ("range_start", _u64),
                ("range_end", _u64), ("max_order", _u64), ("nr_pages", _u64),
                ("free_pages", _u64), ("nr_orders", ctypes.c_uint),
                ("free_pages_by_order", _u64 * _ORDERS),
                ("free_blocks_by_order", _u64 * _ORDERS), ("findings", _u64)]


class _VmemmapEntry(ctypes.Structure):
    _fields_ = [("pfn", _u64), ("phys", _u64), ("refcount", _u64), ("order", _u64),
                ("no_order", ctypes.c_bool), ("has_state", ctypes.c_bool),
                ("host_state", ctypes.c_uint), ("hyp_state", ctypes.c_uint),
                ("host_share_guest_count", _u64), ("host_state_name", ctypes.c_char * 24),
                ("hyp_state_name", ctypes.c_char * 24)]


class _RunInfo(ctypes.Structure):
    _fields_ = [("start", _u64), ("end", _u64), ("phys", _u64), ("level", ctypes.c_int),
                ("valid", ctypes.c_bool), ("size", ctypes.c_char * 8),
                ("owner", ctypes.c_char * 16), ("type", ctypes.c_char * 24),
                ("state", ctypes.c_char * 24), ("prot", ctypes.c_char * 8),
                ("memattr", ctypes.c_char * 16), ("vm_handle", ctypes.c_uint32), ("gfn", _u64)]


class _ChunkInfo(ctypes.Structure):
    _fields_ = [("heap", ctypes.c_char * 64), ("addr", _u64), ("pa", _u64), ("size", _u64),
                ("mapped", _u64), ("used", _u64), ("is_used", ctypes.c_bool),
                ("hash_ok", ctypes.c_bool)]


class _PageInfo(ctypes.Structure):
    _fields_ = [("resolved", ctypes.c_bool), ("why", ctypes.c_char * 160),
                ("kind", ctypes.c_char * 8), ("pa", _u64), ("page_pa", _u64), ("pfn", _u64),
                ("in_ram", ctypes.c_bool), ("has_entry", ctypes.c_bool),
                ("entry", _VmemmapEntry), ("in_pool", ctypes.c_bool),
                ("pool", ctypes.c_char * 64), ("is_free", ctypes.c_bool), ("block_pfn", _u64),
                ("block_order", ctypes.c_uint), ("block_index", _u64),
                ("s2_mapped", ctypes.c_bool), ("s2", _RunInfo), ("s2_desc", _u64),
                ("s2_table_pa", _u64), ("nr_hyp", ctypes.c_size_t),
                ("hyp_va", _u64 * _MAX_MAPS), ("nr_guest", ctypes.c_size_t),
                ("guest_vm", _u64 * _MAX_MAPS), ("guest_ipa", _u64 * _MAX_MAPS),
                ("nr_chunks", ctypes.c_size_t), ("chunks", _ChunkInfo * _MAX_CHUNKS),
                ("nr_findings", ctypes.c_size_t)]


class _FindingInfo(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_char_p), ("address", _u64), ("message", ctypes.c_char_p)]


def _candidates():
    env = os.environ.get("HYPMEM_LIBRARY")
    if env:
        return [env]
    out = []
    try:
        from . import _paths  # written by make install
        out.append(os.path.join(_paths.LIBDIR, "libhypmem.so.0"))
    except ImportError:
        pass
    return out + ["libhypmem.so.0"]


def _load():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
    raise ImportError("hypmem: cannot load libhypmem.so.0 (%s); set HYPMEM_LIBRARY"
                      % "; ".join(errors))


_lib = _load()
_E = ctypes.c_void_p  # struct hypmem_error *
_H = ctypes.c_void_p  # struct hypmem *
_P = ctypes.POINTER


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_version = _fn("hypmem_version", ctypes.c_char_p)
_error_message = _fn("hypmem_error_message", ctypes.c_char_p, _E)
_error_kind = _fn("hypmem_error_kind", ctypes.c_char_p, _E)
_error_address = _fn("hypmem_error_address", ctypes.c_bool, _E, _P(_u64))
_error_destroy = _fn("hypmem_error_destroy", None, _E)
_options_create = _fn("hypmem_options_create", _E, _P(ctypes.c_void_p))
_options_destroy = _fn("hypmem_options_destroy", None, ctypes.c_void_p)
_options_set = {k: _fn("hypmem_options_set_" + k, _E, ctypes.c_void_p, ctypes.c_char_p)
                for k in ("vmlinux", "core", "raw")}
_options_set_kaslr = _fn("hypmem_options_set_kaslr_offset", None, ctypes.c_void_p, _u64)
_options_set_kimage = _fn("hypmem_options_set_kimage_voffset", None, ctypes.c_void_p, _u64)
_options_set_force = _fn("hypmem_options_set_force", None, ctypes.c_void_p, ctypes.c_bool)
_open = _fn("hypmem_open", _E, ctypes.c_void_p, _P(_H))
_close = _fn("hypmem_close", None, _H)
_release = _fn("hypmem_release", ctypes.c_char_p, _H)
_page_size = _fn("hypmem_page_size", _u64, _H)
_core_format = _fn("hypmem_core_format", ctypes.c_char_p, _H)
_kaslr_offset = _fn("hypmem_kaslr_offset", _u64, _H)
_kimage_voffset = _fn("hypmem_kimage_voffset", _u64, _H)
_hyp_physvirt_offset = _fn("hypmem_hyp_physvirt_offset", ctypes.c_int64, _H)
_vmemmap_base = _fn("hypmem_vmemmap_base", _u64, _H)
_nr_ram = _fn("hypmem_nr_ram", ctypes.c_size_t, _H)
_get_ram = _fn("hypmem_get_ram", ctypes.c_bool, _H, ctypes.c_size_t, _P(_u64), _P(_u64))
_nr_pools = _fn("hypmem_nr_pools", _E, _H, _P(ctypes.c_size_t))
_get_pool = _fn("hypmem_get_pool", _E, _H, ctypes.c_size_t, _P(_PoolInfo))
_get_vmemmap = _fn("hypmem_get_vmemmap", _E, _H, _u64, _P(_VmemmapEntry), ctypes.c_size_t,
                   _P(ctypes.c_size_t))
_nr_runs = _fn("hypmem_nr_runs", _E, _H, ctypes.c_int, _P(ctypes.c_size_t))
_get_run = _fn("hypmem_get_run", _E, _H, ctypes.c_int, ctypes.c_size_t, _P(_RunInfo))
_nr_chunks = _fn("hypmem_nr_chunks", _E, _H, _P(ctypes.c_size_t))
_get_chunk = _fn("hypmem_get_chunk", _E, _H, ctypes.c_size_t, _P(_ChunkInfo))
_get_page = _fn("hypmem_get_page", _E, _H, ctypes.c_char_p, _P(_PageInfo))
_nr_findings = _fn("hypmem_nr_findings", _E, _H, _P(ctypes.c_size_t), _P(ctypes.c_size_t))
_get_finding = _fn("hypmem_get_finding", _E, _H, ctypes.c_size_t, _P(_FindingInfo))

HOST_STAGE2, HYP_STAGE1 = 0, 1


def version():
    """The library's version (the VERSION file it was built from)."""
    return _version().decode()


class HypmemError(Exception):
    """What stopped the library: kind ("FAULT", "LOOKUP", "OS", ...), message,
    and for a FAULT the address the dump does not hold (else None)."""

    def __init__(self, kind, message, address=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.address = address

    def __repr__(self):
        return "HypmemError(%r, %r%s)" % (self.kind, self.message, "" if self.address is None
                                          else ", address=%#x" % self.address)


def _check(err):
    if not err:
        return
    addr = _u64()
    e = HypmemError(_error_kind(err).decode(), _error_message(err).decode(),
                    addr.value if _error_address(err, ctypes.byref(addr)) else None)
    _error_destroy(err)
    raise e


def _s(b):
    return b.decode(errors="replace")


def _hex(v):
    return "%#x" % v


@dataclass
class Pool:
    """A struct hyp_pool: its range [range_start, range_end) and free lists."""
    name: str
    address: int
    range_start: int
    range_end: int
    max_order: int
    nr_pages: int
    free_pages: int
    free_pages_by_order: List[int]
    free_blocks_by_order: List[int]
    findings: int


@dataclass
class VmemmapEntry:
    """A struct hyp_page.  order is None for HYP_NO_ORDER; the states are None
    in layouts without them."""
    pfn: int
    phys: int
    refcount: int
    order: Optional[int]
    host_state: Optional[int] = None
    hyp_state: Optional[int] = None
    host_state_name: Optional[str] = None
    hyp_state_name: Optional[str] = None
    host_share_guest_count: Optional[int] = None

    def __repr__(self):
        s = "VmemmapEntry(pfn=%#x, refcount=%d, order=%r" % (self.pfn, self.refcount, self.order)
        if self.host_state is not None:
            s += ", host=%s, hyp=%s" % (self.host_state_name, self.hyp_state_name)
        return s + ")"


def _entry(e):
    v = VmemmapEntry(e.pfn, e.phys, e.refcount, None if e.no_order else e.order)
    if e.has_state:
        v.host_state, v.hyp_state = e.host_state, e.hyp_state
        v.host_state_name, v.hyp_state_name = _s(e.host_state_name), _s(e.hyp_state_name)
        v.host_share_guest_count = e.host_share_guest_count
    return v


@dataclass
class Run:
    """Consecutive page-table leaves of one kind, [start, end) in input addresses."""
    start: int
    end: int
    level: int
    size: str
    valid: bool
    phys: Optional[int]
    owner: Optional[str]
    type: Optional[str]
    state: str
    prot: str
    memattr: str
    vm_handle: Optional[int]
    gfn: Optional[int]

    def __repr__(self):
        what = "owner=%s" % self.owner if self.owner else "phys=%#x" % self.phys
        return "Run(%#x-%#x, level=%d, %s, %s, %s)" % (self.start, self.end, self.level,
                                                       what, self.state, self.prot)


def _run(r, stage1):
    return Run(r.start, r.end, r.level, _s(r.size), r.valid,
               r.phys if r.valid or stage1 else None, _s(r.owner) or None,
               _s(r.type) or None, _s(r.state), _s(r.prot), _s(r.memattr),
               r.vm_handle or None, r.gfn if r.vm_handle else None)


@dataclass
class Chunk:
    """A hyp heap chunk: addr is the header's hyp VA, sizes are data bytes."""
    heap: str
    addr: int
    pa: Optional[int]
    size: int
    mapped: Optional[int]
    used: int
    is_used: bool
    hash_ok: Optional[bool]

    def __repr__(self):
        return "Chunk(%s %#x, size=%d, %s)" % (self.heap, self.addr, self.size,
                                              "used %d" % self.used if self.is_used else "free")


@dataclass
class Finding:
    """An inconsistency the decoders found: kind (a hypmem-json(5) key), address, message."""
    kind: str
    address: int
    message: str

    def __repr__(self):
        return "Finding(%s at %#x: %s)" % (self.kind, self.address, self.message)


@dataclass
class Page:
    """Everything about the page an address names (hypmem-dump page)."""
    query: str
    resolved: bool
    why: str = ""
    kind: str = ""
    pa: int = 0
    page_pa: int = 0
    pfn: int = 0
    in_ram: bool = False
    entry: Optional[VmemmapEntry] = None
    pool: Optional[str] = None
    free_block: Optional[tuple] = None  # (head PFN, order, index of the page in it)
    s2: Optional[Run] = None
    s2_descriptor: Optional[int] = None
    s2_table: Optional[int] = None
    hyp_stage1: List[int] = field(default_factory=list)
    guest: List[tuple] = field(default_factory=list)  # (VM handle, IPA)
    heap_chunks: List[Chunk] = field(default_factory=list)
    nr_findings: int = 0

    def __repr__(self):
        if not self.resolved:
            return "Page(%r: %s)" % (self.query, self.why)
        s = "Page(%r: pa=%#x pfn=%#x" % (self.query, self.pa, self.pfn)
        if self.pool:
            s += " pool=%s%s" % (self.pool, " free" if self.free_block else "")
        if self.s2:
            s += " s2=%s" % (self.s2.owner or self.s2.state)
        return s + ")"


class Target:
    """An image with symbols (vmlinux or the hypmem EL2 image) and its dump:
    core (ELF or kdump-compressed) or raw ("FILE@PHYS"); kaslr_offset,
    kimage_voffset and force as the commands' options.  A context manager;
    close() frees it."""

    def __init__(self, vmlinux, core=None, raw=None, kaslr_offset=None, kimage_voffset=None,
                 force=False):
        self._h = None
        opts = ctypes.c_void_p()
        _check(_options_create(ctypes.byref(opts)))
        try:
            _check(_options_set["vmlinux"](opts, os.fsencode(vmlinux)))
            if core is not None:
                _check(_options_set["core"](opts, os.fsencode(core)))
            if raw is not None:
                _check(_options_set["raw"](opts, os.fsencode(raw)))
            if kaslr_offset is not None:
                _options_set_kaslr(opts, kaslr_offset)
            if kimage_voffset is not None:
                _options_set_kimage(opts, kimage_voffset)
            _options_set_force(opts, bool(force))
            h = _H()
            _check(_open(opts, ctypes.byref(h)))
            self._h = h
        finally:
            _options_destroy(opts)

    def close(self):
        if self._h:
            _close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _handle(self):
        if not self._h:
            raise ValueError("hypmem.Target is closed")
        return self._h

    # The target.
    @property
    def release(self):
        return _s(_release(self._handle()))

    @property
    def page_size(self):
        return _page_size(self._handle())

    @property
    def core_format(self):
        return _s(_core_format(self._handle()))

    @property
    def kaslr_offset(self):
        return _kaslr_offset(self._handle())

    @property
    def kimage_voffset(self):
        return _kimage_voffset(self._handle())

    @property
    def hyp_physvirt_offset(self):
        return _hyp_physvirt_offset(self._handle())

    @property
    def vmemmap_base(self):
        return _vmemmap_base(self._handle())

    @property
    def ram(self):
        """hyp_memory[]: [(start, end)] physical ranges, end exclusive."""
        h, out = self._handle(), []
        start, end = _u64(), _u64()
        for i in range(_nr_ram(h)):
            if _get_ram(h, i, ctypes.byref(start), ctypes.byref(end)):
                out.append((start.value, end.value))
        return out

    def __repr__(self):
        return "hypmem.Target(%s, %s, page_size=%d)" % (
            self.release, self.core_format, self.page_size) if self._h else \
            "hypmem.Target(closed)"

    # The decoded structures.
    def pools(self):
        h, n = self._handle(), ctypes.c_size_t()
        _check(_nr_pools(h, ctypes.byref(n)))
        out, p = [], _PoolInfo()
        for i in range(n.value):
            _check(_get_pool(h, i, ctypes.byref(p)))
            k = p.nr_orders
            out.append(Pool(_s(p.name), p.address, p.range_start, p.range_end, p.max_order,
                            p.nr_pages, p.free_pages, list(p.free_pages_by_order[:k]),
                            list(p.free_blocks_by_order[:k]), p.findings))
        return out

    def vmemmap(self, first=0, end=None, batch=4096):
        """The vmemmap entries of the RAM PFNs in [first, end), in order,
        skipping those the dump does not hold (a generator)."""
        h, n = self._handle(), ctypes.c_size_t()
        buf = (_VmemmapEntry * batch)()
        pfn = first
        while end is None or pfn < end:
            _check(_get_vmemmap(h, pfn, buf, batch, ctypes.byref(n)))
            for i in range(n.value):
                if end is not None and buf[i].pfn >= end:
                    return
                yield _entry(buf[i])
            if n.value < batch:
                return
            pfn = buf[n.value - 1].pfn + 1

    def _runs(self, table):
        h, n = self._handle(), ctypes.c_size_t()
        _check(_nr_runs(h, table, ctypes.byref(n)))
        out, r = [], _RunInfo()
        for i in range(n.value):
            _check(_get_run(h, table, i, ctypes.byref(r)))
            out.append(_run(r, table == HYP_STAGE1))
        return out

    def stage2_runs(self):
        """The host stage-2 as runs of leaves (hypmem-dump stage2)."""
        return self._runs(HOST_STAGE2)

    def stage1_runs(self):
        """The hyp stage-1 (pkvm_pgtable) as runs of leaves (hypmem-dump stage1)."""
        return self._runs(HYP_STAGE1)

    def heap_chunks(self):
        """The chunks of every hyp heap; [] on a kernel without the heap."""
        h, n = self._handle(), ctypes.c_size_t()
        _check(_nr_chunks(h, ctypes.byref(n)))
        out, c = [], _ChunkInfo()
        for i in range(n.value):
            _check(_get_chunk(h, i, ctypes.byref(c)))
            out.append(Chunk(_s(c.heap), c.addr, c.pa, c.size, c.mapped, c.used, c.is_used,
                             c.hash_ok))
        return out

    def page(self, addr):
        """What hypmem-dump page says about an address: an int is a PA (as
        "pa:X"); a string is taken as the command takes it ("pfn:N", "hyp:X",
        "kva:X", "sym:NAME", a bare number)."""
        q = "pa:%#x" % addr if isinstance(addr, int) else str(addr)
        r = _PageInfo()
        _check(_get_page(self._handle(), q.encode(), ctypes.byref(r)))
        p = Page(q, r.resolved, _s(r.why), _s(r.kind), r.pa)
        if not r.resolved:
            return p
        p.page_pa, p.pfn, p.in_ram = r.page_pa, r.pfn, r.in_ram
        p.entry = _entry(r.entry) if r.has_entry else None
        p.pool = _s(r.pool) if r.in_pool else None
        p.free_block = (r.block_pfn, r.block_order, r.block_index) if r.is_free else None
        if r.s2_mapped:
            p.s2 = _run(r.s2, False)
            p.s2_descriptor, p.s2_table = r.s2_desc, r.s2_table_pa
        p.hyp_stage1 = list(r.hyp_va[:r.nr_hyp])
        p.guest = list(zip(r.guest_vm[:r.nr_guest], r.guest_ipa[:r.nr_guest]))
        p.heap_chunks = [Chunk(_s(c.heap), c.addr, None, c.size, None, c.used, c.is_used, None)
                         for c in r.chunks[:r.nr_chunks]]
        p.nr_findings = r.nr_findings
        return p

    def findings(self):
        """What the decoders found inconsistent (everything decoded once)."""
        h, n = self._handle(), ctypes.c_size_t()
        _check(_nr_findings(h, ctypes.byref(n), None))
        out, f = [], _FindingInfo()
        for i in range(n.value):
            _check(_get_finding(h, i, ctypes.byref(f)))
            out.append(Finding(_s(f.kind), f.address, _s(f.message)))
        return out
