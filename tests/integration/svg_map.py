#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The stage-2 memory map (hypmem-dump stage2 --svg) explains itself.

Checked against the JSON runs of the same dump and the EL2 core's truth:
 1. xmllint accepts it;
 2. every rectangle of the map has a <title> (range, size, owner, state),
    every RAM run of the JSON has its titled rectangle, and none is narrower
    than 2 pixels (a single 4K page stays visible);
 3. guest memory has a colour per live VM (as many as the EL2 core says
    are live), each named in the legend with the same colour, and the VMs'
    pages add up to the guest pages the EL2 core donated and not reclaimed;
 4. the hyp carve-out (truth) and the hyp's own pools' ranges (hypmem-dump
    pools) are outlined and titled;
 5. headless Chromium renders it to a PNG (kept in BUILD/test-output/):
    the rectangles of different VMs come out in different colours and
    those of one VM in one colour.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, demo_dump, tool  # noqa: E402

t = Tap()
NS = "{http://www.w3.org/2000/svg}"
DUMP = tool("hypmem-dump")
MAP_LEFT = 150  # the map's left edge (legend boxes start there too, but are 14x14)


def png_pixels(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, "unexpected PNG format"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for y in range(h):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    return None


def main():
    out = demo_dump(t, "svg map")
    if out is None:
        return t.done()
    el2, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    truth = json.load(open(os.path.join(out, "truth.json")))
    outdir = os.path.join(BUILD, "test-output")
    os.makedirs(outdir, exist_ok=True)
    svg = os.path.join(outdir, "stage2-map.svg")
    p = subprocess.run([DUMP, "stage2", "--json", "--svg", svg, el2, core], capture_output=True,
                       text=True)
    t.ok(p.returncode == 0 and os.path.exists(svg), "stage2 --svg writes the map", p.stderr)
    if p.returncode:
        return t.done()
    runs = json.loads(p.stdout)["stage2"]["runs"]
    if shutil.which("xmllint"):
        x = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
        t.ok(x.returncode == 0 and not x.stderr, "xmllint accepts the map", x.stderr)
    else:
        t.skip("xmllint", "libxml2-utils not installed")

    root = ET.parse(svg).getroot()
    rects = [r for r in root.iter(NS + "rect") if r.get("height") == "18"]
    titled = [(r, r.find(NS + "title").text if r.find(NS + "title") is not None else None)
              for r in rects]
    t.ok(len(rects) > 100 and all(title for _, title in titled),
         "every rectangle of the map has a title (%d)" % len(rects),
         [ET.tostring(r)[:200] for r, title in titled if not title][:5])
    t.ok(all(float(r.get("width")) >= 2.0 for r in rects),
         "no rectangle narrower than 2 pixels",
         sorted(float(r.get("width")) for r in rects)[:5])
    titles = {title for _, title in titled}
    ram = [(int(r["start"], 16), int(r["end"], 16)) for r in truth["target"]["ram_ranges"]]
    missing = []
    for run in runs:
        a, z = int(run["start"], 16), int(run["end"], 16)
        for lo, hi in ram:
            ca, cz = max(a, lo), min(z, hi)
            if ca >= cz:
                continue
            want = "0x%x-0x%x (" % (ca, cz)
            hit = [x for x in titles if x.startswith(want)]
            if not hit or not all(("owner %s, state %s" % (run["owner"], run["state"])) in x
                                  for x in hit):
                missing.append(want + " " + run["owner"] + " " + run["state"])
    t.ok(not missing and len(runs) > 50,
         "every RAM run has a titled rectangle with its owner and state (%d runs)" % len(runs),
         missing[:10])

    # One colour per live VM, named in the legend.
    legend = {}
    for g in root.iter(NS + "g"):
        kids = list(g)
        for box, text in zip(kids, kids[1:]):
            if box.tag == NS + "rect" and text.tag == NS + "text" and \
                    (text.text or "").startswith("VM 0x"):
                m = re.match(r"VM (0x[0-9a-f]+) \((\d+) pages\)", text.text)
                legend[m.group(1)] = (box.get("fill"), int(m.group(2)))
    vm_rects = {}
    for r, title in titled:
        m = re.search(r", VM (0x[0-9a-f]+)$", title)
        if m:
            vm_rects.setdefault(m.group(1), []).append(r)
    vms = truth["stage2"]["vms"]
    fills = {f for f, _ in legend.values()}
    t.ok(len(legend) == vms["live"] and len(fills) == len(legend),
         "legend: one colour per live VM (%d)" % vms["live"], legend)
    t.ok(set(vm_rects) == set(legend) and
         all(r.get("fill") == legend[h][0] for h, rs in vm_rects.items() for r in rs),
         "the VMs' memory is drawn in their legend colours", sorted(vm_rects))
    if truth.get("vms"):
        # The 7.x era: each VM's pages are what its guest stage-2 maps
        # (donated and shared), as the EL2 core counted them.
        want = {v["handle"]: v["mapped_pages"] for v in truth["vms"]}
        t.ok({h: n for h, (_, n) in legend.items()} == want,
             "each VM's pages are what the EL2 core's guest stage-2 maps", (legend, want))
    else:
        t.ok(sum(n for _, n in legend.values()) == vms["donated_pages"] - vms["reclaimed_pages"],
             "the VMs' pages add up to the guest memory donated and not reclaimed",
             (legend, vms))

    # Carve-out and pools outlined.
    hyp = truth["hyp"]
    base, size = int(hyp["carveout_base"], 16), int(hyp["carveout_size"])
    t.ok(any(x.startswith("hyp carve-out: 0x%x-0x%x " % (base, base + size)) for x in titles),
         "the hyp carve-out is outlined with its range",
         [x for x in titles if "carve" in x])
    p = subprocess.run([DUMP, "pools", "--json", el2, core], capture_output=True, text=True)
    # The hypervisor's own pools (global variables); VMs' pools lie inside
    # their VMs' memory and are not outlined.
    pools = [q for q in json.loads(p.stdout)["pools"] if not q["name"].startswith("vm_table")]
    want = ["pool %s: 0x%x-0x%x " % (q["name"], int(q["range_start"], 16), int(q["range_end"], 16))
            for q in pools]
    t.ok(len(pools) == 2 and all(any(x.startswith(w) for x in titles) for w in want),
         "every pool's range is outlined with its name", want)

    # As an image.
    browser = chromium()
    if not browser:
        t.skip("the map as a PNG", "chromium not installed")
        return t.done()
    png = os.path.join(outdir, "stage2-map.png")
    height = int(float(root.get("height")))
    with tempfile.TemporaryDirectory() as profile:
        c = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--user-data-dir=" + profile,
                            "--window-size=1200,%d" % height, "--screenshot=" + png,
                            "file://" + os.path.abspath(svg)],
                           capture_output=True, text=True, timeout=120)
    ok = c.returncode == 0 and os.path.exists(png)
    t.ok(ok, "headless Chromium renders the map: %s" % png, c.stderr[-800:])
    if not ok:
        return t.done()
    w, h, px = png_pixels(png)
    t.ok(w == 1200 and h == height, "the PNG is the map's size (%dx%d)" % (w, h))
    colour = {}
    for handle, rs in vm_rects.items():
        for r in rs:
            x, y, rw = float(r.get("x")), float(r.get("y")), float(r.get("width"))
            if rw >= 8 and ("4K pages" in r.find(NS + "title").text):
                colour.setdefault(handle, set()).add(px[int(y + 9)][int(x + rw / 2)])
    one = all(len(c) == 1 for c in colour.values())
    distinct = len({next(iter(c)) for c in colour.values()}) == len(colour)
    t.ok(len(colour) >= 4 and one and distinct,
         "in the PNG each VM has one colour, and no two VMs share one",
         {h: sorted(c) for h, c in colour.items()})
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
