"""held.py PORT N: opens N keep-alive connections to 127.0.0.1:PORT, one
1 KiB request on each, and while they are held open prints, per server
process, how many of them it has ("PID COUNT" lines, from ss -p).  The
workers' test counts by pid that each worker took connections."""
import re
import socket
import subprocess
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /files/1k.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 1024:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    held.append(s)
out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                     capture_output=True, text=True, check=True).stdout
counts = {}
for pid in re.findall(r"pid=(\d+)", out):
    counts[pid] = counts.get(pid, 0) + 1
for pid, count in sorted(counts.items()):
    print(pid, count)
for s in held:
    s.close()
