#!/usr/bin/env python3
"""tests/attack.py - hostile HTTP clients for tests/hostile.sh and
tests/attack.sh: python3 tests/attack.py COMMAND PORT [ARGS...].  Each
command prints one line of results for the shell to check.  Every loop is
bounded in count and time; traffic goes to 127.0.0.1 only."""
import os
import select
import socket
import subprocess
import sys
import threading
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


def cmd_slowread(port, path, *command):
    """Defect 1: a slow download; command (truncating the file, swapping
    the store) runs while the server waits for the reader."""
    s = connect(int(port), rcvbuf=4096)
    s.sendall(req(path))
    s.recv(1024)
    time.sleep(0.3)  # the server fills the socket and waits for the reader
    subprocess.run(command, timeout=WAIT, check=False, stdout=subprocess.DEVNULL)
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
    # The refused are answered at once; the others, held, never are.
    pending, deadline = list(conns), time.monotonic() + 2
    while pending and time.monotonic() < deadline:
        for s in select.select(pending, [], [], 0.1)[0]:
            try:
                refused += s.recv(64).startswith(b"HTTP/1.1 503")
            except ConnectionResetError:
                pass
            pending.remove(s)
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


def cmd_silentslot(port):
    """With max_connections=1, a client that connects and sends nothing
    does not take the slot from one that sends its request after it."""
    silent = connect(int(port))
    late = connect(int(port))
    late.sendall(req("/about.html", "Connection: close\r\n"))
    out = read_all(late)
    print("served" if out.startswith(b"HTTP/1.1 200") else "waited",
          "open" if not closed_within(silent, 0.1) else "closed")
    silent.close()


def cmd_slowloris(port, n, secs):
    """n connections send a head a byte at a time for up to secs seconds;
    meanwhile a normal client asks for a page.  Prints whether it was
    served, and how many slow ones the server closed."""
    head = req("/about.html")[:-2] + b"X-Slow: "  # a header that never ends
    slow = [connect(int(port)) for _ in range(int(n))]
    for s in slow:
        s.setblocking(False)
    closed, sent, served = set(), 0, False
    deadline = time.monotonic() + float(secs)
    while time.monotonic() < deadline and len(closed) < len(slow):
        for i, s in enumerate(slow):
            if i in closed:
                continue
            try:
                s.send(head[sent:sent + 1] or b"a")
                if s.recv(4096) == b"":
                    closed.add(i)
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed.add(i)
        sent += 1
        if not served:
            c = connect(int(port))
            c.sendall(req("/about.html", "Connection: close\r\n"))
            served = read_all(c).startswith(b"HTTP/1.1 200")
            c.close()
        time.sleep(0.05)
    print("served" if served else "not-served", "closed", len(closed), "of", len(slow))


def cmd_flood(port, pid, conns, count):
    """conns connections each pipeline up to count requests and read none:
    the server's RSS growth in MiB, and whether it serves meanwhile."""
    before = rss_kb(int(pid))
    many = req("/about.html") * int(count)
    flood = []
    for _ in range(int(conns)):
        s = connect(int(port))
        s.setblocking(False)  # as much as the socket takes: the server stops reading
        try:
            s.send(many)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            pass
        flood.append(s)
    grew = (rss_kb(int(pid)) - before) // 1024
    c = connect(int(port))
    c.sendall(req("/about.html", "Connection: close\r\n"))
    served = read_all(c).startswith(b"HTTP/1.1 200")
    for s in flood:
        s.close()
    print("grew_mib", grew, "served" if served else "not-served")


def cmd_pipeline(port, count):
    """count pipelined requests, their responses read only once the
    server has had to stop writing: how many are answered."""
    s = connect(int(port), rcvbuf=4096)
    send = threading.Thread(target=s.sendall, args=(
        req("/files/1k.txt") * (int(count) - 1) + req("/files/1k.txt", "Connection: close\r\n"),))
    send.start()
    time.sleep(0.5)  # the socket fills up
    n = read_all(s).count(b"HTTP/1.1 200 OK\r\n")
    send.join(WAIT)
    print("responses", n)


def cmd_smuggle(port, *texts):
    """Sends each raw request (Python escapes: \\r \\n \\x00) on a
    connection of its own; prints a line per request: the status codes
    answered and whether the server closed the connection."""
    for text in texts:
        smuggle_one(int(port), text)


def smuggle_one(port, text):
    s = connect(port)
    s.sendall(text.encode().decode("unicode_escape").encode("latin-1"))
    s.settimeout(WAIT)
    out = b""
    closed = False
    try:
        while len(out) < 1 << 20:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            out += d
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    codes = [line.split()[1].decode() for line in out.split(b"\r\n")
             if line.startswith(b"HTTP/1.1 ")]
    print(",".join(codes) or "none", "closed" if closed else "open")


if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
