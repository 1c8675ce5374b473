"""slow_get.py — an HTTP/1.1 GET whose body is read slowly, through a small receive buffer.

    slow_get.py PORT PATH RATE OUT_FILE

Connects to 127.0.0.1:PORT with a 64 KiB receive buffer (set before connecting, which also
stops the kernel from growing it: a slow reader then holds back the sender, as one across
a slow network would), sends GET PATH, and reads the answer at about RATE bytes a second.
Writes the body to OUT_FILE and prints {"status", "content_length", "received", "seconds"}
as JSON. Node cannot size a TCP socket's receive buffer; Debian's python3 can.
"""
import json
import socket
import sys
import time


def main():
    port, path, rate, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    t0 = time.monotonic()
    data = bytearray()
    step = max(1, int(rate / 20))  # a slice every 50 ms
    while True:
        try:
            got = s.recv(step)
        except ConnectionError:
            break
        if not got:
            break
        data += got
        ahead = len(data) / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    seconds = time.monotonic() - t0
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    with open(out, "wb") as f:
        f.write(body)
    print(json.dumps({"status": int(lines[0].split()[1]), "received": len(body),
                      "content_length": int(headers.get("content-length", -1)),
                      "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
