#!/usr/bin/env python3
"""tests/attack.py - hostile HTTP clients for tests/hostile.sh and
tests/attack.sh: python3 tests/attack.py COMMAND PORT [ARGS...].  Each
command prints one line of results for the shell to check.  Every loop is
bounded in count and time; traffic goes to 127.0.0.1 only."""
import os
import socket
import sys
import time

HOST = "127.0.0.1"
WAIT = 5.0  # the longest any single read waits


def connect(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((HOST, port))
    return s


def read_all(s, limit=1 << 26, wait=WAIT):
    """Everything until the server closes (or `wait` passes without a byte)."""
    s.settimeout(wait)
    out = b""
    try:
        while len(out) < limit:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def closed_within(s, wait):
    """True when the server closes s (EOF or reset) before `wait` s."""
    s.settimeout(wait)
    try:
        while s.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def req(path, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode()


def cmd_slowread(port, path, file):
    """Defect 1: a slow download whose file is truncated meanwhile."""
    s = connect(int(port), rcvbuf=4096)
    s.sendall(req(path))
    s.recv(1024)
    time.sleep(0.3)  # the server fills the socket and waits for the reader
    os.truncate(file, 0)
    print("read", len(read_all(s)))


def bodies(port, n, size, chunked):
    """n connections, each sending a body of `size` bytes less its last one."""
    conns, refused = [], 0
    for _ in range(n):
        s = connect(port)
        if chunked:
            head = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            body = b"%x\r\n" % size + b"x" * (size - 1)
        else:
            head = f"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {size}\r\n\r\n"
            body = b"x" * (size - 1)
        try:
            s.sendall(head.encode() + body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        conns.append(s)
    for s in conns:
        s.settimeout(0.2)
        try:
            if s.recv(64).startswith(b"HTTP/1.1 503"):
                refused += 1
        except (socket.timeout, ConnectionResetError):
            pass
    return conns, refused


def cmd_hold(port, pid, n, size, framing):
    """Defect 6: n large bodies at once; the server's RSS growth and the
    count refused with 503."""
    before = rss_kb(int(pid))
    conns, refused = bodies(int(port), int(n), int(size), framing == "chunked")
    grew = rss_kb(int(pid)) - before
    for s in conns:
        s.close()
    print("grew_mib", grew // 1024, "refused", refused)


def cmd_maxconn(port, k):
    """Defect 6: with max_connections=k, the (k+1)th waits, then is served."""
    held = []
    for _ in range(int(k)):
        s = connect(int(port))
        s.sendall(req("/about.html"))
        s.settimeout(WAIT)
        s.recv(65536)
        held.append(s)
    late = connect(int(port))
    late.sendall(req("/about.html", "Connection: close\r\n"))
    late.settimeout(0.5)
    try:
        early = late.recv(64)
    except socket.timeout:
        early = b""
    held[0].close()
    out = early + read_all(late)
    print("waited" if not early else "not-waited",
          "served" if out.startswith(b"HTTP/1.1 200") else "not-served")


def cmd_silent(port, wait):
    """Defect 6: a connection that never sends a byte is closed."""
    s = connect(int(port))
    print("closed" if closed_within(s, float(wait)) else "open")


if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
