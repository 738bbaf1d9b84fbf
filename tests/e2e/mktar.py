#!/usr/bin/env python3
"""tests/e2e/mktar.py - tar archives for the disk tests, headers written
byte by byte so that each can be wrong in one chosen way.

  mktar.py CASE OUT      one archive: good, longname, skips, checksum,
                         truncated, pastdisk, dotdot, absolute, emptyseg,
                         dotseg, underfile, nomagic, badsize, danglinglong,
                         noend
  mktar.py many N OUT    N small members in 100 folders (a big index)

Every archive holds "./", "a.txt" and then the case's member(s); `good`
ends there.  `--help` prints this."""
import sys

BLOCK = 512
MTIME = 1700000000


def octal(n, width):
    return ("%0*o" % (width - 1, n)).encode() + b"\0"


def header(name, size=0, typeflag=b"0", prefix=b"", chksum_delta=0, size_field=None,
           linkname=b"", magic=b"ustar\x0000"):
    h = bytearray(BLOCK)
    name = name.encode() if isinstance(name, str) else name
    h[0:len(name)] = name
    h[100:108] = octal(0o644 if typeflag != b"5" else 0o755, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = size_field if size_field is not None else octal(size, 12)
    h[136:148] = octal(MTIME, 12)
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:265] = magic
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b" " * 8
    total = sum(h) + chksum_delta
    h[148:156] = ("%06o" % total).encode() + b"\0 "
    return bytes(h)


def member(name, data=b"", **kw):
    pad = (-len(data)) % BLOCK
    return header(name, len(data), **kw) + data + b"\0" * pad


def gnu_longname(name, data, member_too=True):
    raw = name.encode() + b"\0"
    h = bytearray(header("././@LongLink", len(raw), typeflag=b"L"))
    h[257:265] = b"ustar  \0"  # GNU's magic
    h[148:156] = b" " * 8
    h[148:156] = ("%06o" % sum(h)).encode() + b"\0 "
    out = bytes(h) + raw + b"\0" * ((-len(raw)) % BLOCK)
    return out + member(name[:99], data) if member_too else out


END = b"\0" * (2 * BLOCK)
BASE = member("./", typeflag=b"5") + member("./a.txt", b"alpha\n")
LONG = "deep/" + "x" * 120 + "/" + "y" * 60 + ".txt"


def archive(case):
    if case == "good":
        return BASE + END
    if case == "longname":
        return BASE + gnu_longname("./" + LONG, b"a long name\n") + END
    if case == "skips":
        return (BASE + member("./link", typeflag=b"2", linkname=b"/etc/passwd")
                + member("./fifo", typeflag=b"6") + member("./b.txt", b"bravo\n")
                + b"\0" * BLOCK + member("./c.txt", b"charlie\n") + END)
    if case == "checksum":
        return BASE + member("./bad.txt", b"x\n", chksum_delta=1) + END
    if case == "truncated":
        return BASE + header("./big.bin", 2000) + b"y" * BLOCK
    if case == "pastdisk":
        return BASE + header("./huge.bin", size_field=b"77777777777\0") + END
    if case == "dotdot":
        return BASE + member("./docs/../../etc/passwd", b"root\n") + END
    if case == "absolute":
        return BASE + member("/etc/passwd", b"root\n") + END
    if case == "emptyseg":
        return BASE + member("./docs//x.html", b"x\n") + END
    if case == "dotseg":
        return BASE + member("./docs/./x.html", b"x\n") + END
    if case == "underfile":
        return BASE + member("./a.txt/inner", b"x\n") + END
    if case == "nomagic":
        return BASE + member("./m.txt", b"x\n", magic=b"notatar\0") + END
    if case == "badsize":
        return BASE + header("./s.txt", size_field=b"12x45\0\0\0\0\0\0\0") + END
    if case == "danglinglong":
        return BASE + gnu_longname("./" + LONG, b"", member_too=False) + END
    if case == "noend":
        return BASE
    raise SystemExit("mktar.py: unknown case %r (see --help)" % case)


def many(n):
    out = [member("./", typeflag=b"5")]
    for d in range(100):
        out.append(member("./d%02d/" % d, typeflag=b"5"))
    for i in range(n):
        out.append(member("./d%02d/f%05d.txt" % (i % 100, i), b"%d\n" % i))
    return b"".join(out) + END


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[1] == "many" and len(argv) == 4:
        data = many(int(argv[2]))
        out = argv[3]
    elif len(argv) == 3:
        data = archive(argv[1])
        out = argv[2]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    with open(out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
