#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Packaging: what a packager does with the tree.

- Flags: CFLAGS, CPPFLAGS and LDFLAGS given on make's command line or in
  the environment come after the project's: the compile and link lines
  (make -n) still carry -Wall -Wextra -Werror and the libraries' include
  paths, and one library object really builds with CFLAGS=-O0 and with
  CPPFLAGS=-DNDEBUG.
- Each command links only what it uses: only hypmem-top needs ncursesw
  (readelf -d), and no other command is compiled with its -D_XOPEN_SOURCE.
- A second make rebuilds and relinks nothing (the mtimes of the commands,
  their objects and the libraries stay).
- The version has one source: VERSION is what --version, hypmem.pc and the
  EL2 image's boot banner (the release of a demo dump) say.
- make install DESTDIR=... works with a PATH that has no aarch64 cross
  compiler, builds no EL2 image, and installs the commands, the library,
  the public header only (never cli.h), hypmem.pc, man pages carrying
  VERSION and the Python package.
- libhypmem.so exports exactly the functions of hypmem.h; a program
  built with cc x.c $(pkg-config --cflags --libs hypmem) against the
  installed tree prints the demo dump's pools as hypmem-dump pools --json.
Prints TAP.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from hypmemtest import BUILD, Tap, make_dumps  # noqa: E402

t = Tap()
CMDS = ("hypmem-stat", "hypmem-dump", "hypmem-top", "hypmem-diff")
with open("VERSION") as f:
    VERSION = f.read().strip()


def make(*args, env=None, path=None):
    e = dict(os.environ if env is None else env)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "CFLAGS", "CPPFLAGS", "LDFLAGS", "LDLIBS"):
        if env is None or k not in env:
            e.pop(k, None)
    if path is not None:
        e["PATH"] = path
    return subprocess.run(["make", "--no-print-directory"] + list(args), capture_output=True,
                          text=True, env=e)


def compile_lines(out, src):
    return [line for line in out.splitlines() if " -c " in line and line.endswith(src)]


def check_flags(tmp):
    pkg = subprocess.run(["pkg-config", "--cflags", "json-c"], capture_output=True,
                         text=True).stdout.split()
    base = dict(os.environ)
    for how, args, env, user in (
            ("command line CFLAGS=-O0", ["CFLAGS=-O0"], None, "-O0"),
            ("command line CPPFLAGS=-DNDEBUG", ["CPPFLAGS=-DNDEBUG"], None, "-DNDEBUG"),
            ("environment CFLAGS=-O0", [], dict(base, CFLAGS="-O0"), "-O0"),
            ("environment CPPFLAGS=-DNDEBUG", [], dict(base, CPPFLAGS="-DNDEBUG"), "-DNDEBUG")):
        p = make("-n", "-B", "BUILD=" + tmp, *args, tmp + "/lib/hypmem/error.o",
                 tmp + "/cmd/hypmem-stat.o", env=env)
        lines = compile_lines(p.stdout, "lib/hypmem/error.c") + \
            compile_lines(p.stdout, "cmd/hypmem-stat.c")
        bad = [line for line in lines
               if not all(w in line.split() for w in ["-Wall", "-Wextra", "-Werror", user] + pkg)]
        t.ok(p.returncode == 0 and len(lines) == 2 and not bad,
             "%s: the compile lines keep -Wall -Wextra -Werror and the pkg-config flags" % how,
             p.stdout[-1500:] + p.stderr[-1500:])
        if user == "-O0":
            ws = lines[0].split() if lines else []
            t.ok("-O2" in ws and "-O0" in ws and ws.index("-O0") > ws.index("-O2"),
                 "%s: the user's -O0 comes after the project's -O2" % how, lines)
    # Really build one object with each.
    for arg in ("CFLAGS=-O0", "CPPFLAGS=-DNDEBUG"):
        p = make("BUILD=" + tmp, arg, tmp + "/lib/hypmem/findings.o")
        t.ok(p.returncode == 0 and os.path.exists(tmp + "/lib/hypmem/findings.o"),
             "make %s builds a library object" % arg, p.stderr[-1500:])
        if os.path.exists(tmp + "/lib/hypmem/findings.o"):
            os.unlink(tmp + "/lib/hypmem/findings.o")
    p = make("-n", "-B", "BUILD=" + tmp, tmp + "/hypmem-stat",
             env=dict(base, LDFLAGS="-Wl,-z,now"))
    links = [line for line in p.stdout.splitlines() if " -o " + tmp + "/hypmem-stat " in line]
    t.ok(len(links) == 1 and "-Wl,-z,now" in links[0].split(),
         "LDFLAGS from the environment reaches the link line", p.stdout[-1500:])
    p = make("-n", "-B", "BUILD=" + tmp, "LDFLAGS=-Wl,-z,now", tmp + "/hypmem-stat")
    links = [line for line in p.stdout.splitlines() if " -o " + tmp + "/hypmem-stat " in line]
    t.ok(len(links) == 1 and "-Wl,-z,now" in links[0].split(),
         "LDFLAGS on the command line reaches the link line", p.stdout[-1500:])


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def check_libs():
    curses = subprocess.run(["pkg-config", "--cflags", "ncursesw"], capture_output=True,
                            text=True).stdout.split()
    p = make("-n", "-B", *["%s/cmd/%s.o" % (BUILD, c) for c in CMDS])
    for c in CMDS:
        libs = needed(os.path.join(BUILD, c))
        has = any(lib.startswith("libncursesw") for lib in libs)
        t.ok(has == (c == "hypmem-top") and libs,
             "%s links ncursesw %s" % (c, "(it draws with it)" if c == "hypmem-top"
                                       else "not"), sorted(libs))
        lines = compile_lines(p.stdout, "cmd/%s.c" % c)
        leak = [f for f in curses if lines and f in lines[0].split()]
        t.ok(len(lines) == 1 and (bool(leak) if c == "hypmem-top" and curses else not leak),
             "%s is compiled %s ncursesw's flags" % (c, "with" if c == "hypmem-top"
                                                     else "without"), lines)


def check_no_relink():
    watched = [os.path.join(BUILD, c) for c in CMDS] + \
        [os.path.join(BUILD, "cmd", c + ".o") for c in CMDS] + \
        [os.path.join(BUILD, "libhypmem.a"), os.path.join(BUILD, "libhypmem.so." + VERSION)]
    missing = [w for w in watched if not os.path.exists(w)]
    if not t.ok(not missing, "the commands and their objects are kept after a build", missing):
        return
    # A first make brings the tree up to date (the git revision --version
    # prints may have moved since the build); the second must do nothing.
    p = make("BUILD=" + BUILD, "host")
    if not t.ok(p.returncode == 0, "make host", p.stderr[-1500:]):
        return
    before = {w: os.stat(w).st_mtime_ns for w in watched}
    p = make("BUILD=" + BUILD, "host")
    after = {w: os.stat(w).st_mtime_ns if os.path.exists(w) else None for w in watched}
    changed = [w for w in watched if before[w] != after[w]]
    t.ok(p.returncode == 0 and not changed, "a second make host rebuilds nothing",
         changed + [p.stdout[-1500:], p.stderr[-1500:]])


def check_version():
    for c in CMDS:
        p = subprocess.run([os.path.join(BUILD, c), "--version"], capture_output=True, text=True)
        first = p.stdout.splitlines()[0] if p.stdout else ""
        t.ok(first == "%s (hypmem) %s" % (c, VERSION), "%s --version says VERSION" % c, first)
    with open(os.path.join(BUILD, "hypmem.pc")) as f:
        pc = f.read()
    t.ok(re.search(r"^Version: %s$" % re.escape(VERSION), pc, re.M) is not None,
         "hypmem.pc says VERSION", pc)
    out, err = make_dumps(8, 1, 1024, 20000)
    if not t.ok(out is not None, "a demo dump (QEMU)", err):
        return
    p = subprocess.run([os.path.join(BUILD, "hypmem-dump"), "pools", "--json",
                        os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")],
                       capture_output=True, text=True)
    release = json.loads(p.stdout)["target"]["release"] if p.returncode in (0, 1) else p.stderr
    t.ok(release == "hypmem-el2 %s layout-8" % VERSION,
         "the EL2 image's boot banner (the dump's release) carries VERSION", release)


def path_without_cross(tmp):
    """A PATH of symlinks to every program on PATH but aarch64-*."""
    farm = os.path.join(tmp, "bin")
    os.makedirs(farm)
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(":"):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            full = os.path.join(d, name)
            if name.startswith("aarch64-") or os.path.lexists(os.path.join(farm, name)):
                continue
            if os.access(full, os.X_OK) and not os.path.isdir(full):
                os.symlink(full, os.path.join(farm, name))
    return farm


def check_install(tmp):
    farm = path_without_cross(tmp)
    t.ok(shutil.which("aarch64-linux-gnu-gcc", path=farm) is None,
         "the install PATH has no aarch64 cross compiler")
    dest = os.path.join(tmp, "dest")
    prefix = "/opt/hypmem"
    p = make("-n", "BUILD=" + BUILD, "DESTDIR=" + dest, "PREFIX=" + prefix, "install", path=farm)
    t.ok(p.returncode == 0 and "aarch64" not in p.stdout and "/el2/" not in p.stdout,
         "make -n install builds no EL2 image", p.stdout[-1500:] + p.stderr[-1500:])
    p = make("BUILD=" + BUILD, "DESTDIR=" + dest, "PREFIX=" + prefix, "install", path=farm)
    if not t.ok(p.returncode == 0, "make install DESTDIR=... without the cross compiler",
                p.stdout[-1500:] + p.stderr[-1500:]):
        return
    root = dest + prefix
    want = ["bin/" + c for c in CMDS] + ["lib/libhypmem.a", "lib/pkgconfig/hypmem.pc",
                                         "include/hypmem/hypmem.h",
                                         "lib/libhypmem.so.%s" % VERSION]
    t.ok(all(os.path.exists(os.path.join(root, w)) for w in want),
         "installed: commands, libraries, public header, hypmem.pc",
         [w for w in want if not os.path.exists(os.path.join(root, w))])
    headers = sorted(os.listdir(os.path.join(root, "include/hypmem")))
    t.ok(headers == ["hypmem.h"], "only the public header is installed (no cli.h)", headers)
    major = VERSION.split(".")[0]
    links = {n: os.readlink(os.path.join(root, "lib", n)) if os.path.islink(
        os.path.join(root, "lib", n)) else None for n in ("libhypmem.so", "libhypmem.so." + major)}
    t.ok(links == {"libhypmem.so": "libhypmem.so." + major,
                   "libhypmem.so." + major: "libhypmem.so." + VERSION},
         "libhypmem.so -> libhypmem.so.%s -> libhypmem.so.%s" % (major, VERSION), links)
    check_pkgconfig(dest, root, tmp)
    check_python(root, prefix)
    with open(os.path.join(root, "lib/pkgconfig/hypmem.pc")) as f:
        pc = f.read()
    t.ok("prefix=%s\n" % prefix in pc and "ncursesw" not in pc and "_XOPEN_SOURCE" not in pc,
         "hypmem.pc: the PREFIX, no ncursesw, no -D_XOPEN_SOURCE", pc)
    mans = []
    for d, _, files in os.walk(os.path.join(root, "share/man")):
        for name in files:
            with open(os.path.join(d, name)) as f:
                th = [line for line in f.read().splitlines() if line.startswith(".TH")]
            mans.append((name, th[0] if th else ""))
    t.ok(mans and all('"hypmem %s"' % VERSION in th for _, th in mans),
         "installed man pages say hypmem %s" % VERSION, mans)


def header_functions():
    with open("include/hypmem/hypmem.h") as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    return sorted(set(re.findall(r"\b(hypmem_\w+)\(", text)))


def check_exports():
    so = os.path.join(BUILD, "libhypmem.so." + VERSION)
    out = subprocess.run(["readelf", "-d", so], capture_output=True, text=True).stdout
    t.ok("Library soname: [libhypmem.so.%s]" % VERSION.split(".")[0] in out,
         "the shared library's soname is libhypmem.so.%s" % VERSION.split(".")[0], out)
    out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True,
                         text=True).stdout
    # Every defined dynamic symbol but the version node (type A).
    syms = sorted(line.split()[-1].split("@")[0] for line in out.splitlines()
                  if len(line.split()) == 3 and line.split()[1] != "A")
    want = header_functions()
    t.ok(len(want) > 20 and syms == want,
         "nm -D: libhypmem.so exports exactly the %d functions of hypmem.h" % len(want),
         "exported, not in hypmem.h: %s\nin hypmem.h, not exported: %s" % (
             sorted(set(syms) - set(want)), sorted(set(want) - set(syms))))


def pools_cli(vmlinux, core):
    p = subprocess.run([os.path.join(BUILD, "hypmem-dump"), "pools", "--json", vmlinux, core],
                       capture_output=True, text=True)
    lines = []
    for q in json.loads(p.stdout)["pools"]:
        lines.append(" ".join([q["name"], q["range_start"], q["range_end"], str(q["nr_pages"]),
                               str(q["free_pages"])] +
                              ["%d/%d" % x for x in zip(q["free_pages_by_order"],
                                                        q["free_blocks_by_order"])]))
    return lines


def check_pkgconfig(dest, root, tmp):
    """cc x.c $(pkg-config --cflags --libs hypmem), against the installed tree."""
    out, err = make_dumps(8, 1, 1024, 20000)
    if not t.ok(out is not None, "a demo dump (QEMU)", err):
        return
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(root, "lib", "pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=dest, LD_LIBRARY_PATH=os.path.join(root, "lib"))
    env.pop("PKG_CONFIG_LIBDIR", None)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkgconfig_pools.c")
    shutil.copy(src, os.path.join(tmp, "x.c"))
    p = subprocess.run(["sh", "-c", "cc -Wall -Wextra -Werror x.c $(pkg-config --cflags --libs "
                        "hypmem) -o x"], cwd=tmp, capture_output=True, text=True, env=env)
    if not t.ok(p.returncode == 0, "cc x.c $(pkg-config --cflags --libs hypmem) links",
                p.stdout + p.stderr):
        return
    libs = needed(os.path.join(tmp, "x"))
    t.ok("libhypmem.so." + VERSION.split(".")[0] in libs,
         "the program uses the shared library", sorted(libs))
    vmlinux, core = os.path.join(out, "el2.elf"), os.path.join(out, "vmcore")
    p = subprocess.run([os.path.join(tmp, "x"), vmlinux, core], capture_output=True, text=True,
                       env=env)
    want = pools_cli(vmlinux, core)
    t.ok(p.returncode == 0 and len(want) >= 2 and p.stdout.splitlines() == want,
         "it prints the demo dump's %d pools as hypmem-dump pools --json has them" % len(want),
         "got:\n%s%s\nwant:\n%s" % (p.stdout, p.stderr, "\n".join(want)))
    # The header alone, in C99 and C++.
    inc = os.path.join(root, "include")
    for cc, std in (("cc", "-std=c99"), ("c++", "-std=c++11")):
        if not shutil.which(cc):
            t.ok(False, "%s is installed" % cc)
            continue
        lang = "c++" if cc == "c++" else "c"
        p = subprocess.run([cc, "-x", lang, std, "-Wall", "-Wextra", "-Werror", "-pedantic",
                            "-I" + inc, "-fsyntax-only", "-"],
                           input="#include <hypmem/hypmem.h>\nint main(void) { return "
                                 "hypmem_version() != 0; }\n",
                           capture_output=True, text=True)
        t.ok(p.returncode == 0, "hypmem.h compiles alone as %s (%s)" % (lang, std), p.stderr)


def check_python(root, prefix):
    """The installed package finds the installed library (LD_LIBRARY_PATH
    standing in for the DESTDIR) and knows where PREFIX put it."""
    pkg = os.path.join(root, "lib", "python3", "dist-packages")
    env = dict(os.environ, PYTHONPATH=pkg, LD_LIBRARY_PATH=os.path.join(root, "lib"))
    env.pop("HYPMEM_LIBRARY", None)
    p = subprocess.run([sys.executable, "-c", "import hypmem, hypmem._paths as p; "
                        "print(hypmem.__file__); print(hypmem.version()); print(p.LIBDIR)"],
                       capture_output=True, text=True, env=env, cwd="/")
    lines = p.stdout.splitlines()
    t.ok(p.returncode == 0 and len(lines) == 3 and lines[0].startswith(pkg) and
         lines[1] == VERSION and lines[2] == prefix + "/lib",
         "the installed Python package imports and loads the installed library",
         p.stdout + p.stderr)


tmp = tempfile.mkdtemp(prefix="hypmem-pkg-")
try:
    check_flags(os.path.join(tmp, "build"))
    check_libs()
    check_no_relink()
    check_version()
    check_exports()
    check_install(tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(t.done())
