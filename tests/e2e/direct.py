#!/usr/bin/env python3
"""tests/e2e/direct.py - clients for tests/e2e/direct.sh, run inside the
network namespace that script makes: python3 direct.py COMMAND ARGS...
Each command prints one line of results for the shell to check.  Every
loop is bounded in count and time; traffic goes only to the addresses of
that namespace."""
import selectors
import socket
import sys
import time

WAIT = 10.0  # the longest any command waits for the server


def request(host, path, close=False):
    conn = "Connection: close\r\n" if close else ""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{conn}\r\n".encode()


def read_response(buf, sock):
    """One response from buf + sock: (status, body, rest of buf)."""
    deadline = time.monotonic() + WAIT
    while b"\r\n\r\n" not in buf:
        buf += recv(sock, deadline)
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(buf) < length:
        buf += recv(sock, deadline)
    return status, buf[:length], buf[length:]


def recv(sock, deadline):
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    data = sock.recv(65536)
    if not data:
        raise EOFError("the server closed early")
    return data


def pipeline(host, port, *paths):
    """Every request in one write; prints status:length per response."""
    s = socket.create_connection((host, int(port)), timeout=WAIT)
    s.sendall(b"".join(request(host, p, i == len(paths) - 1) for i, p in enumerate(paths)))
    buf, out = b"", []
    for _ in paths:
        status, body, buf = read_response(buf, s)
        out.append(f"{status}:{len(body)}")
    print(" ".join(out))


def concurrent(host, port, count, path):
    """count connections open at once, then a request on each."""
    socks = [socket.create_connection((host, int(port)), timeout=WAIT) for _ in range(int(count))]
    for s in socks:
        s.sendall(request(host, path))
    good = 0
    for s in socks:
        try:
            status, _, _ = read_response(b"", s)
            good += status == 200
        except (OSError, EOFError):
            pass
        s.close()
    print(f"{good} of {count}")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def stall(host, port, pid, path):
    """Pipelines requests for path and never reads.  The server's window
    closes, so sending blocks: prints "blocked SENT" (or "unblocked SENT"),
    then the server's RSS before, once blocked, and again a while later."""
    before = rss_kib(pid)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(WAIT)
    s.connect((host, int(port)))
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    req, sent, blocked = request(host, path), 0, False
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if not sel.select(timeout=2.0):
            blocked = True  # two seconds without room: the window is shut
            break
        try:
            sent += s.send(req)
        except BlockingIOError:
            pass
    stuck = rss_kib(pid)
    time.sleep(2.0)
    later = rss_kib(pid)
    print(f"{'blocked' if blocked else 'unblocked'} {sent} rss {before} {stuck} {later}")
    s.close()


def udp(host, port, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    for _ in range(5):  # the first may wait for ARP
        s.sendto(text.encode(), (host, int(port)))
        try:
            data, addr = s.recvfrom(65536)
            print(f"{data.decode()} from {addr[0]}:{addr[1]}")
            return
        except socket.timeout:
            continue
    print("no reply")


def tcpserve(addr, port, reply):
    """Accepts one connection, prints the line it sends, answers and closes."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(1)
    ls.settimeout(WAIT * 2)
    c, peer = ls.accept()
    c.settimeout(WAIT)
    data = b""
    while b"\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    c.sendall(reply.encode() + b"\n")
    c.close()
    print(f"{data.decode().strip()} from {peer[0]}", flush=True)


if __name__ == "__main__":
    {"pipeline": pipeline, "concurrent": concurrent, "stall": stall, "udp": udp,
     "tcpserve": tcpserve}[sys.argv[1]](*sys.argv[2:])
