# SPDX-License-Identifier: GPL-2.0-only
"""Shared helpers for the integration tests: TAP output, QEMU dumps (cached
by image hash and parameters), ELF core offsets, symbols."""
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys

BUILD = os.environ.get("BUILD", "build")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=""):
        self.n += 1
        if not cond:
            self.failed += 1
        print(("ok" if cond else "not ok") + " %d %s" % (self.n, name))
        if detail and not cond:
            for line in str(detail).splitlines()[:40]:
                print("#   " + line)
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.n += 1
        print("ok %d %s # SKIP %s" % (self.n, name, why))

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def file_hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def make_dumps(layout, seed, mem, ops, args="", smp=1):
    """Boot the EL2 image and dump it, or reuse the cached dumps.
    args: extra key=value arguments for the EL2 core (hypmem-qemu --args).
    smp: CPUs to boot (hypmem-qemu --smp).
    Returns (directory, None) or (None, error text)."""
    image = os.path.join(BUILD, "el2", "L%d" % layout, "el2.elf")
    key = "L%d-s%d-m%d-o%d-%s" % (layout, seed, mem, ops, file_hash(image))
    if args:
        key += "-" + args.replace(" ", "_").replace("=", "")
    if smp > 1:
        key += "-c%d" % smp
    out = os.path.join(BUILD, "dumps", key)
    if all(os.path.exists(os.path.join(out, f))
           for f in ("truth.json", "vmcore", "vmcore.kdump", "el2.elf")):
        return out, None
    shutil.rmtree(out, ignore_errors=True)
    # Dumps of older builds of the same image are never used again.
    digest = file_hash(image)
    stale_prefix = "L%d-" % layout
    dumps = os.path.join(BUILD, "dumps")
    for old in os.listdir(dumps) if os.path.isdir(dumps) else []:
        if old.startswith(stale_prefix) and digest not in old:
            shutil.rmtree(os.path.join(dumps, old), ignore_errors=True)
    cmd = ["tests/qemu/hypmem-qemu", "--image", image, "--out", out, "--mem", str(mem),
           "--seed", str(seed), "--ops", str(ops)]
    if args:
        cmd += ["--args", args]
    if smp > 1:
        cmd += ["--smp", str(smp)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode:
        return None, "%s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr)
    return out, None



def demo_dump(t, what):
    """The layout-8 demo dump (seed 1, 1 GiB, 20000 operations) for the
    tests called WHAT: its directory, or None once a skip (no QEMU) or the
    failed "dump" check is reported on T."""
    if not shutil.which("qemu-system-aarch64"):
        t.skip(what, "qemu-system-aarch64 not installed")
        return None
    out, err = make_dumps(8, 1, 1024, 20000)
    t.ok(out is not None, "dump", err or "")
    return out

class ElfCore:
    """Map physical addresses to file offsets through PT_LOAD headers."""

    def __init__(self, path):
        with open(path, "rb") as f:
            hdr = f.read(64)
            assert hdr[:4] == b"\x7fELF" and hdr[4] == 2, "not an ELF64 file"
            phoff, = struct.unpack_from("<Q", hdr, 32)
            phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
        self.loads = []
        for i in range(phnum):
            p_type, _, p_offset, _, p_paddr, p_filesz = struct.unpack_from(
                "<IIQQQQ", table, i * phentsize)
            if p_type == 1:
                self.loads.append((p_paddr, p_filesz, p_offset))

    def offset(self, pa):
        for paddr, size, off in self.loads:
            if paddr <= pa < paddr + size:
                return off + pa - paddr
        raise KeyError("PA 0x%x not in the dump" % pa)


def nm(image):
    out = subprocess.run(["aarch64-linux-gnu-nm", image], capture_output=True, text=True,
                         check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


def layout(tool_dir, image):
    """Struct layouts as hypmem-dump layout --json reports them (from DWARF)."""
    p = subprocess.run([os.path.join(tool_dir, "hypmem-dump"), "layout", "--json", image],
                       capture_output=True, text=True, check=True)
    return {s["name"]: {m["name"]: m for m in s["members"]} | {"__size__": s["size"]}
            for s in json.loads(p.stdout)["structs"]}


def tool(name):
    """The ASan+UBSan build of a command when make check built it, else the plain one."""
    asan = os.path.join(BUILD, "asan", name)
    return asan if os.path.exists(asan) else os.path.join(BUILD, name)


def no_crash(p):
    """A completed process exited 0, 1 or 2 with no sanitizer report."""
    return 0 <= p.returncode <= 2 and "Sanitizer" not in p.stderr and \
        "runtime error" not in p.stderr


def patched_core(core, elf, patches, path):
    """A sparse copy of the ELF core at @path with {pa: bytes} patches applied
    (elf: the core's ElfCore, mapping PAs to file offsets)."""
    subprocess.run(["cp", "--sparse=always", core, path], check=True)
    with open(path, "r+b") as f:
        for pa, data in patches.items():
            f.seek(elf.offset(pa))
            f.write(data)
    return path


def compare(truth, got, path=""):
    """Differences where got does not reproduce truth: every key of truth must
    be in got with an equal value; lists equal in length and element by element."""
    diffs = []
    if isinstance(truth, dict):
        if not isinstance(got, dict):
            return ["%s: expected an object, got %r" % (path, got)]
        for k, v in truth.items():
            if k not in got:
                diffs.append("%s.%s: missing" % (path, k))
            else:
                diffs += compare(v, got[k], "%s.%s" % (path, k))
    elif isinstance(truth, list):
        if not isinstance(got, list) or len(got) != len(truth):
            return ["%s: %d entries expected, got %s" % (
                path, len(truth), len(got) if isinstance(got, list) else repr(got))]
        for i, (a, b) in enumerate(zip(truth, got)):
            diffs += compare(a, b, "%s[%d]" % (path, i))
    elif truth != got:
        diffs.append("%s: expected %r, got %r" % (path, truth, got))
    return diffs


def pahole(image, name, sizes=False):
    """Member offsets (or sizes) of struct @name from DWARF, by pahole;
    "__size__" the struct's size."""
    p = subprocess.run(["pahole", "-C", name, image], capture_output=True, text=True, check=True)
    out = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*(.*?)\s*(__attribute__\(.*\))?;\s*/\*\s*(\d+)\s+(\d+)\s*\*/", line)
        if m:
            member = m.group(1).split()[-1].lstrip("*").split("[")[0]
            out[member] = int(m.group(4 if sizes else 3))
        elif "/* size:" in line:
            out["__size__"] = int(line.split("size:")[1].split(",")[0])
    return out
