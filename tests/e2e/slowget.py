#!/usr/bin/env python3
"""slowget.py PORT PATH OUT [LATE]: one GET on loopback, read slowly (4 KiB
every 10 ms through a 4 KiB receive buffer, so the server cannot hand the
kernel the whole response at once and keeps sending from its side while we
read), the whole response into OUT.  LATE: bytes sent once the response
has begun, after the request that said it was the last; then, after a
pause that lets the server fill its side, the rest is read at full speed.
At most 60 s."""
import socket
import sys
import time

if len(sys.argv) not in (4, 5) or sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if len(sys.argv) == 2 else 2)
port, path, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
late = sys.argv[4].encode() if len(sys.argv) == 5 else b""
pause = 0.01
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
end = time.monotonic() + 60
with open(out, "wb") as f:
    while time.monotonic() < end:
        data = s.recv(4096)
        if not data:
            break
        f.write(data)
        f.flush()
        if late:
            s.sendall(late)
            time.sleep(0.3)
            late, pause = b"", 0
        time.sleep(pause)
