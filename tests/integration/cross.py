#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integration: the host tools built for arm64 (the device) behave exactly
as the native ones.

 1. make CROSS=aarch64-linux-gnu- host, and the same with STATIC=1, build
    arm64 executables (ELF machine AArch64; the static one needs no loader).
 2. On the tracefs-shaped tree that hypmem-dump exports from a two-CPU EL2
    dump (trace_pipe_raw per CPU, events/*/format: what a device has under
    /sys/kernel/tracing/remotes/hypervisor), the arm64 hypmem-top -b -n 2,
    hypmem-dump trace (text and --json) and hypmem-dump trace -o trace.dat,
    run under qemu-aarch64 (qemu-user), print byte for byte what the native
    build prints (hypmem-top's measured wall-clock interval aside).  So do
    the decoders on that dump: hypmem-stat (text and --json), hypmem-dump
    stage2, heap, vmemmap and layout, on the ELF core, and hypmem-stat on
    the kdump-compressed one (dynamic build).
 3. The static build refuses a kdump-compressed dump with a clear message.

Needs the Debian arm64 -dev packages and qemu-user, which make deps (and so
make check) installs; without them that is one failure naming what is
missing, not a skip: the static arm64 build is how hypmem-top reaches a
device.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, file_hash  # noqa: E402

t = Tap()
CROSS = "aarch64-linux-gnu-"
ARM_PC = "/usr/lib/aarch64-linux-gnu/pkgconfig"
NEEDS = ["libdw.pc", "libelf.pc", "json-c.pc", "ncursesw.pc", "libkdumpfile.pc"]


def missing():
    why = []
    if not shutil.which(CROSS + "gcc"):
        why.append(CROSS + "gcc (gcc-aarch64-linux-gnu)")
    absent = [p for p in NEEDS if not os.path.exists(os.path.join(ARM_PC, p))]
    if absent:
        why.append("arm64 -dev packages (%s; make deps installs them)" % ", ".join(absent))
    if not qemu_user():
        why.append("qemu-aarch64 (qemu-user or qemu-user-static)")
    if not shutil.which("qemu-system-aarch64"):
        why.append("qemu-system-aarch64 (for the dump the tracefs tree comes from)")
    return why


def qemu_user():
    return shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")


def build(outdir, static):
    cmd = ["make", "-j2", "CROSS=" + CROSS, "BUILD=" + outdir, "host"] + (
        ["STATIC=1"] if static else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    return p.returncode == 0, p.stdout[-1500:] + p.stderr[-2500:]


def elf_info(path):
    with open(path, "rb") as f:
        hdr = f.read(64)
        machine = int.from_bytes(hdr[18:20], "little")
        phoff = int.from_bytes(hdr[32:40], "little")
        phentsize = int.from_bytes(hdr[54:56], "little")
        phnum = int.from_bytes(hdr[56:58], "little")
        interp = False
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if int.from_bytes(f.read(4), "little") == 3:  # PT_INTERP
                interp = True
    return machine, interp


def dump():
    image = os.path.join(BUILD, "el2", "L8", "el2.elf")
    out = os.path.join(BUILD, "dumps", "cross-c2-%s" % file_hash(image))
    if os.path.exists(os.path.join(out, "vmcore")):
        return out, None
    shutil.rmtree(out, ignore_errors=True)
    cmd = ["tests/qemu/hypmem-qemu", "--image", image, "--out", out, "--mem", "512",
           "--seed", "5", "--ops", "5000", "--smp", "2", "--formats", "elf,kdump-zlib",
           "--args", "trace_pages=32 smp_ops=3000"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode:
        return None, "%s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr)
    return out, None


def run(argv, arm):
    if arm:
        argv = [qemu_user()] + argv
    p = subprocess.run(argv, capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def wallclock_free(text):
    """hypmem-top's later screens say how long the refresh took (wall clock)."""
    screens = text.decode().split("\nhypmem-top - ")
    return "\nhypmem-top - ".join(
        [screens[0]] + [re.sub(r" in [0-9.]+ s;", " in T s;", s) for s in screens[1:]])


def main():
    why = missing()
    if why:
        t.ok(False, "cross build for arm64: missing " + "; ".join(why))
        return t.done()
    dyn, sta = os.path.join(BUILD, "arm64"), os.path.join(BUILD, "arm64-static")
    ok, log = build(dyn, False)
    t.ok(ok, "make CROSS=%s host" % CROSS, log)
    ok_s, log = build(sta, True)
    t.ok(ok_s, "make CROSS=%s STATIC=1 host" % CROSS, log)
    if not ok:
        return t.done()
    tools = [os.path.join(d, x) for d in (dyn, sta) for x in ("hypmem-top", "hypmem-dump")]
    info = {x: elf_info(x) for x in tools if os.path.exists(x)}
    t.ok(all(m == 183 for m, _ in info.values()) and len(info) == 4 and
         all(i for x, (m, i) in info.items() if x.startswith(dyn + "/")) and
         not any(i for x, (m, i) in info.items() if x.startswith(sta + "/")),
         "arm64 executables (AArch64; dynamic ones with a loader, static ones without)",
         info)

    out, err = dump()
    t.ok(out is not None, "a two-CPU EL2 dump to export the tracefs tree from", err or "")
    if out is None:
        return t.done()
    tmp = tempfile.mkdtemp(prefix="hypmem-cross-")
    try:
        tfs = os.path.join(tmp, "tracefs")
        nat = os.path.join(BUILD, "hypmem-dump")
        # Android's pages: a poll of a text pipe stops at its deadline, so how
        # much of a large text tree one poll reads depends on the CPU's speed.
        rc, _, e = run([nat, "trace", "--export-tracefs", tfs, "--export-shape", "android",
                        os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")], False)
        cpus = sorted(glob.glob(os.path.join(tfs, "hyp/per_cpu/cpu*")))
        t.ok(rc == 0 and len(cpus) == 2, "tracefs tree with two CPUs", e)
        cases = [
            ("hypmem-top -b -n 2", ["hypmem-top", "-b", "-n", "2", "-d", "0.2", "--tracefs",
                                    tfs], wallclock_free),
            ("hypmem-top -b --json", ["hypmem-top", "-b", "-n", "1", "--json", "--tracefs",
                                      tfs], None),
            ("hypmem-dump trace", ["hypmem-dump", "trace", "--tracefs", tfs], None),
            ("hypmem-dump trace --json", ["hypmem-dump", "trace", "--json", "--tracefs", tfs],
             None),
        ]
        # The decoders themselves, on the dump (the ELF core; the static
        # build has no kdump-compressed support, so that one is dynamic only).
        elf, core, kdump = (os.path.join(out, f) for f in ("el2.elf", "vmcore", "vmcore.kdump"))
        cases += [
            ("hypmem-stat --json (ELF core)", ["hypmem-stat", "--json", elf, core], None),
            ("hypmem-stat (ELF core)", ["hypmem-stat", elf, core], None),
            ("hypmem-dump stage2 --json", ["hypmem-dump", "stage2", "--json", elf, core], None),
            ("hypmem-dump heap", ["hypmem-dump", "heap", elf, core], None),
            ("hypmem-dump vmemmap", ["hypmem-dump", "vmemmap", elf, core], None),
            ("hypmem-dump layout --json", ["hypmem-dump", "layout", "--json", elf], None),
            ("hypmem-stat --json (kdump)", ["hypmem-stat", "--json", elf, kdump], "dynamic"),
        ]
        for name, argv, norm in cases:
            n_rc, n_out, n_err = run([os.path.join(BUILD, argv[0])] + argv[1:], False)
            builds = (("arm64", dyn), ("arm64 static", sta))
            if norm == "dynamic":
                builds, norm = builds[:1], None
            for label, d in builds:
                if not os.path.exists(os.path.join(d, argv[0])):
                    t.ok(False, "%s (%s): not built" % (name, label))
                    continue
                a_rc, a_out, a_err = run([os.path.join(d, argv[0])] + argv[1:], True)
                same = (norm(a_out) == norm(n_out)) if norm else a_out == n_out
                t.ok(n_rc == 0 and a_rc == 0 and same and len(n_out) > 100,
                     "%s under qemu-aarch64 (%s) prints what the native build prints"
                     % (name, label),
                     "native rc %d, arm64 rc %d\n%s\n%s\n--- native\n%s\n--- arm64\n%s" % (
                         n_rc, a_rc, n_err, a_err, n_out[:600].decode("utf-8", "replace"),
                         a_out[:600].decode("utf-8", "replace")))
        dats = []
        for label, prog in (("native", nat), ("arm64", os.path.join(dyn, "hypmem-dump"))):
            path = os.path.join(tmp, label + ".dat")
            rc, _, e = run([prog, "trace", "--tracefs", tfs, "-o", path], label == "arm64")
            dats.append(open(path, "rb").read() if rc == 0 and os.path.exists(path) else e)
        t.ok(isinstance(dats[0], bytes) and dats[0] == dats[1],
             "hypmem-dump trace -o trace.dat: the arm64 file is byte-identical",
             [d if isinstance(d, str) else len(d) for d in dats])
        if ok_s:
            rc, _, e = run([os.path.join(sta, "hypmem-dump"), "trace",
                            os.path.join(out, "el2.elf"), os.path.join(out, "vmcore.kdump")],
                           True)
            t.ok(rc != 0 and "static build without libkdumpfile" in e,
                 "static build: a kdump-compressed dump is refused with a clear message", e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
