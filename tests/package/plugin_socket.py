#!/usr/bin/env python3
"""The two ends of the driver's plugin socket, for the package test (runs in the test's root with
nothing but python3-minimal, so no http.client):

  plugin_socket.py activate SOCKET
      POSTs /Plugin.Activate as dockerd does, waiting up to 20 s for the socket, and prints the
      reply's body.
  plugin_socket.py systemd SOCKET PROGRAM [ARG...]
      does what systemd does for a socket unit: binds and listens on SOCKET, passes it as fd 3
      with LISTEN_PID and LISTEN_FDS (sd_listen_fds(3)), and execs PROGRAM.
"""
import os
import socket
import sys
import time


def activate(path):
    deadline = time.monotonic() + 20
    while True:
        try:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(path)
            break
        except OSError:
            client.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    body = b"{}"
    client.sendall(b"POST /Plugin.Activate HTTP/1.1\r\nHost: plugin\r\n"
                   b"Content-Type: application/json\r\nConnection: close\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    reply = b""
    while chunk := client.recv(65536):
        reply += chunk
    headers, _, content = reply.partition(b"\r\n\r\n")
    if not headers.startswith(b"HTTP/1.1 200"):
        sys.exit("unexpected reply: %r" % reply)
    print(content.decode())


def systemd(path, program):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(16)
    if listener.fileno() != 3:
        os.dup2(listener.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_PID"] = str(os.getpid())  # exec keeps the pid
    os.environ["LISTEN_FDS"] = "1"
    os.execv(program[0], program)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "activate":
        activate(sys.argv[2])
    elif len(sys.argv) > 3 and sys.argv[1] == "systemd":
        systemd(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
