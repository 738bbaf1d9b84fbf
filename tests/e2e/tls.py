#!/usr/bin/env python3
"""tls.py - the TLS clients tests/e2e/tls.sh needs beyond curl and
openssl s_client.  Each command exits 0 when the server behaved, else
prints why and exits 1.  Every wait is bounded.  Loopback only.

  tls.py garbage PORT            bytes that are no TLS: the server closes
  tls.py truncated PORT CA       a ClientHello cut short, left open, then
                                 half-closed: only that connection closes
  tls.py slow PORT CA PATH OUT   a GET read slowly into OUT; prints the
                                 server certificate's SHA-256 first
  tls.py fingerprint PORT CA     the SHA-256 of the certificate served now
"""
import hashlib
import os
import socket
import ssl
import sys
import time

WAIT = 5  # seconds for any one answer


def context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False  # 127.0.0.1; the CA is what is checked
    return ctx


def connect(port, ca, rcvbuf=0):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:  # a small window: the kernel cannot take a download at once
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(WAIT)
    raw.connect(("127.0.0.1", port))
    return context(ca).wrap_socket(raw)


def fingerprint(conn):
    return hashlib.sha256(conn.getpeercert(binary_form=True)).hexdigest()


def get(conn, path="/", close=False):
    """One request on conn; the status code (the body is read and dropped)."""
    conn.sendall(("GET %s HTTP/1.1\r\nHost: test\r\n%s\r\n" %
                  (path, "Connection: close\r\n" if close else "")).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError("closed before the response head")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError("closed in the body")
        body += chunk
    return int(head.split()[1])


def closed_by_server(sock):
    """True when the server closes sock (an end or a reset) within WAIT."""
    sock.settimeout(WAIT)
    deadline = time.monotonic() + WAIT
    try:
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                return True
            if b"HTTP/" in data:
                return False  # it answered as if the bytes were a request
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def client_hello():
    """A real ClientHello, from Python's own TLS client, without a server."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def garbage(port):
    for payload in (b"GET / HTTP/1.1\r\nHost: test\r\n\r\n", bytes(range(256)) * 8):
        s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        s.sendall(payload)
        if not closed_by_server(s):
            print("the server did not close a connection that sent %r..." % payload[:16])
            return 1
        s.close()
    return 0


def truncated(port, ca):
    a = connect(port, ca)
    if get(a) != 200:
        print("the first session is not served")
        return 1
    hello = client_hello()
    b = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    b.sendall(hello[: len(hello) // 3])
    # while b's handshake waits for the rest, others are served
    if get(a) != 200 or get(connect(port, ca)) != 200:
        print("a cut ClientHello left open stops other clients")
        return 1
    b.shutdown(socket.SHUT_WR)
    if not closed_by_server(b):
        print("the server keeps a connection whose ClientHello ended half-way")
        return 1
    if get(a) != 200:
        print("the open session is gone after another connection failed")
        return 1
    return 0


def slow(port, ca, path, out):
    conn = connect(port, ca, rcvbuf=65536)
    print(fingerprint(conn), flush=True)
    conn.sendall(("GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n" % path).encode())
    deadline = time.monotonic() + 60
    with open(out + ".part", "wb") as f:
        while time.monotonic() < deadline:
            chunk = conn.recv(32768)
            if not chunk:
                break
            f.write(chunk)
            f.flush()
            if not os.path.exists(out + ".fast"):
                time.sleep(0.01)
    os.rename(out + ".part", out)
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "--help"
    if cmd == "garbage" and len(argv) == 3:
        return garbage(int(argv[2]))
    if cmd == "truncated" and len(argv) == 4:
        return truncated(int(argv[2]), argv[3])
    if cmd == "slow" and len(argv) == 6:
        return slow(int(argv[2]), argv[3], argv[4], argv[5])
    if cmd == "fingerprint" and len(argv) == 4:
        print(fingerprint(connect(int(argv[2]), argv[3])))
        return 0
    print(__doc__.strip())
    return 0 if cmd in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
