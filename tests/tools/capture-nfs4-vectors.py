#!/usr/bin/env python3
"""Captures nfsfuse's NFSv4.1 traffic with a real nfs-ganesha and prints it as test vectors.

A maintainer tool, not run by CI (CI has neither tshark nor the need): run it when the codec or
the client's COMPOUNDs change, then review and commit the header it writes,
tests/unit/nfs4_captured_vectors.h, which tests/unit/nfs4_captured_*_test.cpp check the codec
against.

    tests/tools/capture-nfs4-vectors.py [--build BUILD_DIR] [--out FILE] [--decode]

It starts a private ganesha (tests/tools/ganesha.sh), captures loopback traffic to its NFS port
with tshark, mounts build/fusefs/nfsfuse with vers=4.1 and does one of each file operation (plus
a few that fail, and a server restart for the SEQUENCE and CREATE_SESSION errors), unmounts, and
stops the server. Then it reassembles the TCP streams itself (Python standard library only),
strips record marking and the RPC headers, and keeps the first COMPOUND of each kind: the
operations in the call, the type a CREATE makes, and the reply's status. --decode also prints
tshark's decoding of the kept calls and replies: the oracle the tests' expected values come from.
Needs root (FUSE, capture), tshark, nfs-ganesha and a built nfsfuse.
"""

import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GANESHA = os.path.join(ROOT, "tests", "tools", "ganesha.sh")
FREE_PORTS = os.path.join(ROOT, "tests", "tools", "free-ports.sh")

OPS = {3: "ACCESS", 4: "CLOSE", 5: "COMMIT", 6: "CREATE", 9: "GETATTR", 10: "GETFH", 11: "LINK",
       15: "LOOKUP", 16: "LOOKUPP", 18: "OPEN", 22: "PUTFH", 24: "PUTROOTFH", 25: "READ",
       26: "READDIR", 27: "READLINK", 28: "REMOVE", 29: "RENAME", 31: "RESTOREFH", 32: "SAVEFH",
       34: "SETATTR", 38: "WRITE", 42: "EXCHANGE_ID", 43: "CREATE_SESSION",
       44: "DESTROY_SESSION", 53: "SEQUENCE", 57: "DESTROY_CLIENTID", 58: "RECLAIM_COMPLETE"}
STATUSES = {0: "OK", 2: "NOENT", 17: "EXIST", 20: "NOTDIR", 66: "NOTEMPTY", 10011: "EXPIRED",
            10022: "STALE_CLIENTID", 10052: "BADSESSION", 10063: "SEQ_MISORDERED"}
FTYPES = {1: "file", 2: "dir", 3: "blk", 4: "chr", 5: "symlink", 6: "sock", 7: "fifo"}


# ---- the file operations whose traffic is captured ----

def file_operations(mnt, disk, restart_server):
    """One of each operation nfsfuse sends, small I/O only, and a few failures."""
    def attempt(action):
        try:
            action()
        except OSError:
            pass  # the failure is what we want on the wire

    os.statvfs(mnt)                                            # GETATTR (fs attributes)
    os.mkdir(os.path.join(mnt, "d"))                           # CREATE dir
    fd = os.open(os.path.join(mnt, "d", "f"), os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o640)
    os.write(fd, b"hello, captured world\n")                   # OPEN, CLOSE
    # Not contiguous: the first write goes out UNSTABLE at once, so fsync needs a COMMIT.
    os.pwrite(fd, b"a second extent\n", 4096)                 # WRITE
    os.fsync(fd)                                               # COMMIT
    os.close(fd)
    os.chmod(os.path.join(mnt, "d", "f"), 0o600)               # SETATTR
    os.access(os.path.join(mnt, "d", "f"), os.R_OK | os.W_OK)  # ACCESS
    with open(os.path.join(disk, "d", "r"), "wb") as f:        # behind ganesha: a cold READ
        f.write(bytes(range(256)) * 2)
    with open(os.path.join(mnt, "d", "r"), "rb") as f:
        f.read()                                               # LOOKUP, READ
    os.symlink("f", os.path.join(mnt, "d", "s"))               # CREATE symlink
    os.readlink(os.path.join(mnt, "d", "s"))                   # READLINK
    os.mkfifo(os.path.join(mnt, "d", "p"), 0o600)              # CREATE fifo
    os.link(os.path.join(mnt, "d", "f"), os.path.join(mnt, "d", "h"))  # SAVEFH, LINK, RESTOREFH
    os.rename(os.path.join(mnt, "d", "h"), os.path.join(mnt, "d", "g"))  # RENAME
    os.listdir(os.path.join(mnt, "d"))                         # READDIR
    os.remove(os.path.join(mnt, "d", "g"))                     # REMOVE
    attempt(lambda: os.stat(os.path.join(mnt, "d", "x")))      # LOOKUP: NOENT
    attempt(lambda: os.rmdir(os.path.join(mnt, "d")))         # REMOVE: NOTEMPTY
    restart_server()
    os.stat(os.path.join(mnt, "d", "f"))   # SEQUENCE: BADSESSION, CREATE_SESSION: STALE_CLIENTID
    os.listdir(mnt)


# ---- capture ----

def run(*args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs).stdout


def wait_for(condition, what, timeout_s=20):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"capture-nfs4-vectors: {what} did not happen within {timeout_s}s")
        time.sleep(0.1)


def is_mounted(path):
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == path for line in mounts)


def pseudo_path(server_dir):
    """The export's path in the v4 pseudo filesystem, as ganesha.sh configured it."""
    with open(os.path.join(server_dir, "ganesha.conf")) as conf:
        match = re.search(r"^\s*Pseudo\s*=\s*([^;\s]+)\s*;", conf.read(), re.MULTILINE)
    if not match:
        sys.exit("capture-nfs4-vectors: no Pseudo in the ganesha config")
    return match.group(1)


def capture(build_dir, work):
    port, mntport = run(FREE_PORTS, "2").split()
    server_dir = os.path.join(work, "server")
    mnt = os.path.join(work, "mnt")
    pcap = os.path.join(work, "nfs4.pcap")
    os.makedirs(mnt)
    run(GANESHA, "start", server_dir, port, mntport)
    tshark = subprocess.Popen(["tshark", "-q", "-i", "lo", "-f", f"tcp port {port}", "-F", "pcap",
                               "-w", pcap], stderr=subprocess.PIPE, text=True)
    nfsfuse = None
    try:
        for line in tshark.stderr:  # "Capturing on 'Loopback: lo'": about to capture
            if "Capturing on" in line:
                break
        # It captures a while after saying so: knock on the port until a packet is in the file.
        def knock_seen():
            socket.create_connection(("127.0.0.1", int(port))).close()
            return os.path.exists(pcap) and os.path.getsize(pcap) > 24
        wait_for(knock_seen, "the capture's start")
        source = f"127.0.0.1:{pseudo_path(server_dir)}"
        nfsfuse = subprocess.Popen([os.path.join(build_dir, "fusefs", "nfsfuse"), source, mnt,
                                    "-o", f"vers=4.1,port={port}", "-f"])
        wait_for(lambda: is_mounted(mnt), "the mount")

        def restart_server():
            run(GANESHA, "stop", server_dir)
            run(GANESHA, "start", server_dir, port, mntport)

        file_operations(mnt, os.path.join(server_dir, "export"), restart_server)
        run("fusermount3", "-u", mnt)
        nfsfuse.wait(timeout=30)  # DESTROY_SESSION, DESTROY_CLIENTID on the way out
        nfsfuse = None
        time.sleep(1)  # the last replies reach the capture
    finally:
        if nfsfuse is not None:
            subprocess.run(["fusermount3", "-u", "-z", mnt])
            nfsfuse.kill()
        tshark.terminate()
        tshark.wait()
        run(GANESHA, "stop", server_dir)
    return pcap, int(port)


# ---- pcap -> RPC messages ----

def tcp_segments(pcap):
    """(flow, seq, syn, payload) of each TCP segment of an Ethernet (loopback) pcap."""
    with open(pcap, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"capture-nfs4-vectors: link type {linktype}, expected Ethernet")
    at = 24
    while at + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        ethertype = struct.unpack(">H", frame[12:14])[0]
        ip = frame[14:]
        if ethertype == 0x0800:
            header = (ip[0] & 0x0F) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            src, dst, tcp = ip[12:16], ip[16:20], ip[header:total]
        elif ethertype == 0x86DD:
            src, dst, tcp = ip[8:24], ip[24:40], ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
        else:
            continue
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        flags = tcp[13]
        yield (src, sport, dst, dport), seq, bool(flags & 0x02), tcp[(tcp[12] >> 4) * 4:]


def rpc_messages(pcap):
    """(flow, record) of each whole RPC record, in the order they completed."""
    streams = {}  # flow -> [next expected seq, bytes not yet a whole record, fragments]
    for flow, seq, syn, payload in tcp_segments(pcap):
        if syn:
            streams[flow] = [(seq + 1) & 0xFFFFFFFF, b"", b""]
            continue
        if flow not in streams or not payload:
            continue
        state = streams[flow]
        skip = (state[0] - seq) & 0xFFFFFFFF
        if skip >= len(payload) or skip > 0x7FFFFFFF:
            if skip > 0x7FFFFFFF:
                sys.exit("capture-nfs4-vectors: a TCP segment is missing from the capture")
            continue  # a retransmission of bytes we have
        state[0] = (state[0] + len(payload) - skip) & 0xFFFFFFFF
        state[1] += payload[skip:]
        while len(state[1]) >= 4:
            mark = struct.unpack(">I", state[1][:4])[0]
            length = mark & 0x7FFFFFFF
            if len(state[1]) < 4 + length:
                break
            state[2] += state[1][4:4 + length]
            state[1] = state[1][4 + length:]
            if mark & 0x80000000:
                yield flow, state[2]
                state[2] = b""


class Xdr:
    def __init__(self, data):
        self.data, self.at = data, 0

    def u32(self):
        self.at += 4
        return struct.unpack(">I", self.data[self.at - 4:self.at])[0]

    def u64(self):
        return self.u32() << 32 | self.u32()

    def fixed(self, size):
        self.at += (size + 3) // 4 * 4
        return self.data[self.at - (size + 3) // 4 * 4:self.at - (size + 3) // 4 * 4 + size]

    def opaque(self):
        return self.fixed(self.u32())

    def bitmap(self):
        return [self.u32() for _ in range(self.u32())]

    def fattr4(self):
        self.bitmap()
        self.opaque()


def skip_op_args(op, x):
    """Steps over the arguments of one operation nfsfuse sends; returns a detail for the label."""
    if op == 53:
        x.fixed(16), x.u32(), x.u32(), x.u32(), x.u32()
    elif op in (22, 15, 11, 28):  # PUTFH, LOOKUP, LINK, REMOVE
        x.opaque()
    elif op == 9:
        x.bitmap()
    elif op == 34:
        x.fixed(16), x.fattr4()
    elif op == 3:
        x.u32()
    elif op == 25:
        x.fixed(16), x.u64(), x.u32()
    elif op == 38:
        x.fixed(16), x.u64(), x.u32(), x.opaque()
    elif op == 5:
        x.u64(), x.u32()
    elif op == 18:
        x.u32(), x.u32(), x.u32(), x.u64(), x.opaque()
        if x.u32() == 1:  # OPEN4_CREATE
            mode = x.u32()
            if mode in (2, 3):
                x.u64()
            if mode != 2:
                x.fattr4()
        if x.u32() == 0:  # CLAIM_NULL
            x.opaque()
    elif op == 4:
        x.u32(), x.fixed(16)
    elif op == 6:
        ftype = x.u32()
        if ftype == 5:
            x.opaque()
        elif ftype in (3, 4):
            x.u32(), x.u32()
        x.opaque(), x.fattr4()
        return FTYPES.get(ftype, str(ftype))
    elif op == 29:
        x.opaque(), x.opaque()
    elif op == 26:
        x.u64(), x.u64(), x.u32(), x.u32(), x.bitmap()
    elif op == 42:
        x.u64(), x.opaque(), x.u32(), x.u32()
        for _ in range(x.u32()):
            x.opaque(), x.opaque(), x.u64(), x.u32()
    elif op == 43:
        x.u64(), x.u32(), x.u32()
        for _ in range(2):
            [x.u32() for _ in range(6)], [x.u32() for _ in range(x.u32())]
        x.u32()
        for _ in range(x.u32()):
            flavor = x.u32()
            if flavor == 1:
                x.u32(), x.opaque(), x.u32(), x.u32(), [x.u32() for _ in range(x.u32())]
            elif flavor != 0:
                sys.exit(f"capture-nfs4-vectors: callback flavor {flavor}")
    elif op == 44:
        x.fixed(16)
    elif op == 58:
        x.u32()
    elif op == 57:
        x.u64()
    elif op not in (10, 24, 27, 31, 32, 16):
        sys.exit(f"capture-nfs4-vectors: cannot read the arguments of operation {op}")
    return None


def label_of(args, results):
    """A C++ name for the kind of COMPOUND: its operations after SEQUENCE, the CREATE type, and
    the reply's status when it failed, e.g. putfh_create_dir_getfh_getattr__exist."""
    x = Xdr(args)
    x.opaque(), x.u32()  # tag, minorversion
    words = []
    for _ in range(x.u32()):
        op = x.u32()
        detail = skip_op_args(op, x)
        if op != 53:
            words.append(OPS[op].lower() + (f"_{detail}" if detail else ""))
    status = struct.unpack(">I", results[:4])[0]
    if status:
        words.append("_" + STATUSES.get(status, f"status{status}").lower())
    return "_".join(words) or "sequence"


def compounds(pcap, nfs_port):
    """[(label, xid, call args, reply results)]: the first COMPOUND of each kind."""
    calls, kept, seen = {}, [], set()
    for flow, record in rpc_messages(pcap):
        x = Xdr(record)
        xid, direction = x.u32(), x.u32()
        if direction == 0 and flow[3] == nfs_port:
            rpcvers, prog, vers, proc = x.u32(), x.u32(), x.u32(), x.u32()
            x.u32(), x.opaque(), x.u32(), x.opaque()  # credential, verifier
            if (prog, vers, proc) == (100003, 4, 1):
                calls[(flow[1], xid)] = record[x.at:]
        elif direction == 1 and (flow[3], xid) in calls:
            if x.u32() != 0:  # MSG_ACCEPTED
                continue
            x.u32(), x.opaque()  # verifier
            if x.u32() != 0:  # SUCCESS
                continue
            args, results = calls.pop((flow[3], xid)), record[x.at:]
            label = label_of(args, results)
            if label not in seen:
                seen.add(label)
                kept.append((label, xid, args, results))
    return kept


# ---- output ----

def hex_lines(data, indent):
    text = data.hex()
    return "\n".join(f'{indent}"{text[i:i + 96]}"' for i in range(0, len(text), 96)) or f'{indent}""'


def header(kept, ganesha_version):
    out = ["// Generated by tests/tools/capture-nfs4-vectors.py: do not edit, capture again.",
           f"// nfsfuse's NFSv4.1 COMPOUNDs and {ganesha_version}'s replies, as captured on the",
           "// wire: COMPOUND4args and COMPOUND4res, without record marking and RPC headers, in hex.",
           "// The first COMPOUND of each kind (operations after SEQUENCE, CREATE's type, the",
           "// reply's status when it failed), in the order they were sent.",
           "#pragma once", "", "#include <string_view>", "",
           "namespace nfsfuse::nfs::v4::testing {", "",
           "struct CapturedCompound {", "    std::string_view name;", "    uint32_t xid;",
           "    std::string_view call_hex;", "    std::string_view reply_hex;", "};", "",
           "// clang-format off",
           "inline constexpr CapturedCompound kCapturedCompounds[] = {"]
    for label, xid, args, results in kept:
        out.append(f'    {{"{label}",\n     0x{xid:08x},\n{hex_lines(args, "     ")},\n'
                   f'{hex_lines(results, "     ")}}},')
    out += ["};", "// clang-format on", "", "}  // namespace nfsfuse::nfs::v4::testing", ""]
    return "\n".join(out).replace("#include <string_view>", "#include <cstdint>\n#include <string_view>")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", help="write the header here instead of to stdout")
    parser.add_argument("--decode", action="store_true", help="print tshark's decoding too")
    parser.add_argument("--keep", help="keep the capture (a pcap) here")
    options = parser.parse_args()
    for tool in ("tshark", "ganesha.nfsd", "fusermount3"):
        if not shutil.which(tool):
            sys.exit(f"capture-nfs4-vectors: {tool} is not installed")

    with tempfile.TemporaryDirectory(prefix="nfs4-capture-") as work:
        pcap, port = capture(os.path.abspath(options.build), work)
        kept = compounds(pcap, port)
        version = run("dpkg-query", "-W", "-f", "nfs-ganesha ${Version}", "nfs-ganesha")
        text = header(kept, version)
        if options.out:
            with open(options.out, "w") as f:
                f.write(text)
        else:
            print(text)
        if options.keep:
            shutil.copy(pcap, options.keep)
        if options.decode:
            for label, xid, _, _ in kept:
                print(f"==== {label} (xid 0x{xid:08x}) ====")
                print(run("tshark", "-r", pcap, "-d", f"tcp.port=={port},rpc", "-O", "nfs", "-Y",
                          f"rpc.xid == 0x{xid:08x} && nfs"))


if __name__ == "__main__":
    main()
