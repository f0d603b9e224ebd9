#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The dumps are what real tools expect, and the launcher fails cleanly.

- binutils' readelf finds the VMCOREINFO note in the ELF core, and its text
  carries the keys a decoder needs (the EL2 core wrote them through fw_cfg);
- file(1) recognises the kdump-compressed dump;
- a raw image cut from the ELF core (crash's FILE@ADDRESS convention)
  decodes to the same JSON as the core itself, given the KASLR offset and
  kimage_voffset, and also without them (the kernel's VMCOREINFO note is in
  RAM); with that note wiped, it fails with a one-line hint;
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
            # Both decodes must have found something: two empty reports agree too.
            same = (bool(a.get("pools")) and bool(a.get("vmemmap")) and
                    a.get("pools") == b.get("pools") and a.get("vmemmap") == b.get("vmemmap"))
        t.ok(same, "--raw FILE@PHYS decodes like the ELF core",
             "exit %d/%d\n%s" % (ref.returncode, p.returncode, p.stderr[-1500:]))
        # Without offsets, the kernel's VMCOREINFO note is found in RAM.
        p = subprocess.run([stat, "--json", "-s", image, "--raw", "%s@0x%x" % (raw, ram[0])],
                           capture_output=True, text=True)
        same = False
        if p.returncode == 0 and ref.returncode == 0:
            a, b = json.loads(ref.stdout), json.loads(p.stdout)
            same = a.get("pools") == b.get("pools") and a.get("vmemmap") == b.get("vmemmap")
        t.ok(same, "--raw with no offsets: VMCOREINFO found in RAM, decodes like the ELF core",
             "exit %d\n%s" % (p.returncode, p.stderr[-1500:]))
        # With the note wiped (its name at each page start), the banner/code locator takes over.
        with open(raw, "r+b") as f:
            off = 0
            while True:
                buf = f.read(1 << 24)
                if not buf:
                    break
                for pg in range(0, len(buf), 4096):
                    if buf[pg + 12:pg + 22] == b"VMCOREINFO":
                        f.seek(off + pg + 12)
                        f.write(b"XXXXXXXXXX")
                        f.seek(off + len(buf))
                off += len(buf)
        # Without VMCOREINFO and kimage_voffset the image's code is found in
        # RAM (the README's "--raw ddr.bin@PHYS --kaslr-offset N" line).
        p = subprocess.run([stat, "--json", "-s", image, "--raw", "%s@0x%x" % (raw, ram[0]),
                            "--kaslr-offset", "0"], capture_output=True, text=True)
        got = json.loads(p.stdout) if p.returncode == 0 else {}
        t.ok(got.get("hyp", {}).get("kimage_voffset") == truth["hyp"]["kimage_voffset"] and
             got.get("pools") == json.loads(ref.stdout).get("pools"),
             "--raw, no VMCOREINFO in RAM: kimage_voffset found from the image's code",
             p.stderr[-800:])
        # With that code gone from RAM it must fail clearly.
        kimage_voffset = int(truth["hyp"]["kimage_voffset"], 16)
        loads = [x.split() for x in subprocess.run(
            ["aarch64-linux-gnu-readelf", "-lW", image], capture_output=True, text=True,
            check=True).stdout.splitlines() if x.split()[:1] == ["LOAD"]]
        text_va = min(int(x[2], 16) for x in loads if "E" in "".join(x[6:-1]))
        with open(raw, "r+b") as f:
            f.seek(text_va - kimage_voffset - ram[0])
            f.write(bytes(256))
        p = subprocess.run([stat, "-s", image, "--raw", "%s@0x%x" % (raw, ram[0])],
                           capture_output=True, text=True)
        t.ok(p.returncode == 2 and "--kimage-voffset" in p.stderr and
             "nowhere" in p.stderr and len(p.stderr.splitlines()) == 1,
             "--raw, neither VMCOREINFO nor image code in RAM: exit 2 with a one-line hint",
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
