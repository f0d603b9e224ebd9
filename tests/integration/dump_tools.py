#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The dumps are what real tools expect, and the launcher fails cleanly.

- binutils' readelf finds the VMCOREINFO note in the ELF core, and its text
  carries the keys a decoder needs (the EL2 core wrote them through fw_cfg);
- file(1) recognises the kdump-compressed dump;
- a raw image cut from the ELF core (crash's FILE@ADDRESS convention)
  decodes to the same JSON as the core itself, given the KASLR offset and
  kimage_voffset that a raw image cannot carry;
- the launcher names the missing package when QEMU is not on PATH, and a
  launch that fails leaves no dump under a final name.

Prints TAP.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, ElfCore, Tap, make_dumps  # noqa: E402

t = Tap()


def main():
    if not shutil.which("qemu-system-aarch64"):
        t.skip("dump tools", "qemu-system-aarch64 not installed")
        return t.done()
    out, err = make_dumps(8, 1, 1024, 20000)
    if not t.ok(out is not None, "dumps made", err):
        return t.done()
    core, kdump = os.path.join(out, "vmcore"), os.path.join(out, "vmcore.kdump")
    image = os.path.join(out, "el2.elf")

    p = subprocess.run(["readelf", "-n", core], capture_output=True, text=True)
    t.ok(p.returncode == 0 and "VMCOREINFO" in p.stdout, "readelf -n shows the VMCOREINFO note",
         p.stdout[-1000:] + p.stderr)
    # The note's text, straight from the file (readelf prints it as hex).
    with open(core, "rb") as f:
        head = f.read(1 << 16)
    for key in (b"OSRELEASE=", b"PAGESIZE=4096", b"NUMBER(kimage_voffset)=", b"KERNELOFFSET=",
                b"SYMBOL("):
        t.ok(key in head, "VMCOREINFO has %s" % key.decode())

    if shutil.which("file"):
        p = subprocess.run(["file", kdump], capture_output=True, text=True)
        t.ok("kdump" in p.stdout.lower(), "file(1) recognises the kdump dump", p.stdout)
    else:
        t.skip("file(1) recognises the kdump dump", "file not installed")

    # Raw image: RAM cut out of the ELF core.
    elf = ElfCore(core)
    ram = max(elf.loads, key=lambda x: x[1])
    stat = os.path.join(BUILD, "hypmem-stat")
    tmp = tempfile.mkdtemp(prefix="hypmem-raw-")
    try:
        raw = os.path.join(tmp, "ddr.bin")
        with open(core, "rb") as fi, open(raw, "wb") as fo:
            fi.seek(ram[2])
            left = ram[1]
            while left:
                chunk = fi.read(min(left, 1 << 24))
                if not chunk:
                    break
                fo.write(chunk)
                left -= len(chunk)
        with open(os.path.join(out, "truth.json")) as f:
            truth = json.load(f)
        ref = subprocess.run([stat, "--json", image, core], capture_output=True, text=True)
        p = subprocess.run([stat, "--json", "-s", image, "--raw", "%s@0x%x" % (raw, ram[0]),
                            "--kaslr-offset", "0",
                            "--kimage-voffset", truth["hyp"]["kimage_voffset"]],
                           capture_output=True, text=True)
        same = False
        if p.returncode == 0 and ref.returncode == 0:
            a, b = json.loads(ref.stdout), json.loads(p.stdout)
            for d in (a, b):
                d.get("target", {}).pop("source", None)
            same = a.get("pools") == b.get("pools") and a.get("vmemmap") == b.get("vmemmap")
        t.ok(same, "--raw FILE@PHYS decodes like the ELF core",
             "exit %d/%d\n%s" % (ref.returncode, p.returncode, p.stderr[-1500:]))
        # Without the translation parameters: the VMCOREINFO text the
        # kernel keeps in RAM gives them.
        p = subprocess.run([stat, "--json", "-s", image, "--raw", "%s@0x%x" % (raw, ram[0])],
                           capture_output=True, text=True)
        same = False
        if p.returncode == 0 and ref.returncode == 0:
            a, b = json.loads(ref.stdout), json.loads(p.stdout)
            same = a.get("pools") == b.get("pools") and a.get("vmemmap") == b.get("vmemmap")
        t.ok(same, "--raw without offsets: VMCOREINFO found in RAM, decodes like the ELF core",
             "exit %d\n%s" % (p.returncode, p.stderr[-1500:]))
        # A RAM image without it must fail clearly.
        with open(raw, "r+b") as f:
            data = f.read()
            at = data.find(b"OSRELEASE=")
            while at >= 0:
                f.seek(at)
                f.write(b"X")
                at = data.find(b"OSRELEASE=", at + 1)
        p = subprocess.run([stat, "-s", image, "--raw", "%s@0x%x" % (raw, ram[0])],
                           capture_output=True, text=True)
        t.ok(p.returncode == 2 and "kimage" in p.stderr and len(p.stderr.splitlines()) == 1,
             "--raw without kimage_voffset nor VMCOREINFO in RAM: exit 2 with a one-line hint",
             p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # The launcher without QEMU on PATH names the package.
    env = dict(os.environ, PATH="/nonexistent")
    p = subprocess.run([sys.executable, "tests/qemu/hypmem-qemu", "--image", image,
                        "--out", "/tmp/hypmem-noqemu"], capture_output=True, text=True, env=env)
    t.ok(p.returncode == 2 and "qemu-system-arm" in p.stderr, "launcher: missing QEMU is named",
         p.stderr)
    # A guest that never gets ready: non-zero, and no dump under a final name.
    tmp = tempfile.mkdtemp(prefix="hypmem-fail-")
    try:
        bogus = os.path.join(tmp, "not-an-image.elf")
        with open(bogus, "wb") as f:
            f.write(b"\0" * 4096)
        dst = os.path.join(tmp, "out")
        p = subprocess.run(["tests/qemu/hypmem-qemu", "--image", bogus, "--out", dst,
                            "--timeout", "5", "--mem", "256"], capture_output=True, text=True)
        left = [f for f in ("vmcore", "vmcore.kdump", "truth.json")
                if os.path.exists(os.path.join(dst, f))]
        t.ok(p.returncode != 0 and not left, "launcher: a failed boot leaves no dump",
             "exit %d, left %s\n%s" % (p.returncode, left, p.stderr[-1000:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
