#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, tests/fuzz/corpus/<target>/: small valid inputs.

A maintainer tool: run it when a target's input format changes or new captured vectors arrive,
then commit the corpus it writes (run-fuzzers.sh only reads it). The NFSv4.1 replies are real:
nfs-ganesha's answers to nfsfuse's COMPOUNDs from tests/unit/nfs4_captured_vectors.h (made by
tests/tools/capture-nfs4-vectors.py), with an RPC reply header in front. The LOCK family, which
the capture does not hold, and NFSv3 replies are written here field by field from the RFCs.

    tests/fuzz/make-seeds.py
"""

import os
import re
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VECTORS = os.path.join(ROOT, "tests", "unit", "nfs4_captured_vectors.h")
CORPUS = os.path.join(HERE, "corpus")


# ---- XDR ----

def u32(value):
    return struct.pack(">I", value)


def u64(value):
    return struct.pack(">Q", value)


def opaque(data):
    return u32(len(data)) + data + b"\0" * ((4 - len(data) % 4) % 4)


def rpc_reply(xid, results):
    """An accepted, successful RPC REPLY (AUTH_NONE verifier) carrying `results`."""
    return u32(xid) + u32(1) + u32(0) + u32(0) + u32(0) + u32(0) + results


# ---- NFSv4.1: captured replies ----

def captured():
    """name -> (xid, COMPOUND4res bytes) from the captured vectors header."""
    text = open(VECTORS).read()
    found = {}
    pattern = re.compile(r'\{"(\w+)",\s*(0x[0-9a-f]+),\s*((?:"[0-9a-f]*"\s*)+),\s*((?:"[0-9a-f]*"\s*)+)\}')
    for name, xid, _call, reply in pattern.findall(text):
        found[name] = (int(xid, 16), bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', reply))))
    return found


# The readers of compound_reply_fuzzer.cpp, by index: which one reads each captured COMPOUND.
READER_OF = {
    "exchange_id": 0, "create_session": 1, "create_session__stale_clientid": 1,
    "destroy_session": 2, "destroy_clientid": 3, "reclaim_complete": 5,
    "putrootfh_lookup_getfh_getattr": 6, "putfh_getattr": 7, "putfh_getattr__badsession": 7,
    "putfh_setattr_getattr": 8, "putfh_lookup_getfh_getattr": 9,
    "putfh_lookup_getfh_getattr__noent": 9, "putfh_access": 10, "putfh_readlink": 11,
    "putfh_read_getattr": 12, "putfh_getattr_write_getattr": 13, "putfh_commit": 14,
    "putfh_open_getfh_getattr": 16, "putfh_close": 17, "putfh_create_dir_getfh_getattr": 18,
    "putfh_create_symlink_getfh_getattr": 18, "putfh_create_fifo_getfh_getattr": 18,
    "putfh_savefh_putfh_link_restorefh_getattr": 19, "putfh_remove": 20,
    "putfh_remove__notempty": 20, "putfh_savefh_putfh_rename": 21, "putfh_readdir": 22,
}
LOCK, LOCKT, LOCKU, FREE_STATEID, SEQUENCE_ONLY = 23, 24, 25, 26, 4

OP_SEQUENCE, OP_PUTFH, OP_GETATTR = 53, 22, 9
OP_LOCK, OP_LOCKT, OP_LOCKU, OP_FREE_STATEID = 12, 13, 14, 45
NFS4ERR_DENIED = 10010


def sequence_result():
    """SEQUENCE4res as ganesha sent it: op, status, sessionid, sequenceid, slots, flags."""
    return u32(OP_SEQUENCE) + u32(0) + b"s" * 16 + u32(1) + u32(0) + u32(63) + u32(63) + u32(0)


def compound(results, count, status=0):
    return u32(status) + opaque(b"nfsfuse") + u32(count) + results


def stateid(seqid):
    return u32(seqid) + b"L" * 12


def lock_denied(owner):
    return u64(0) + u64(0xFFFFFFFFFFFFFFFF) + u32(2) + u64(0xC11E) + opaque(owner)


OUR_OWNER = b"nfsfuse:" + u64(0x1122334455667788) + u64(7)


def nfs4_seeds(vectors):
    seeds = {}
    for name, (xid, reply) in vectors.items():
        seeds[name] = bytes([READER_OF[name]]) + rpc_reply(xid, reply)
    putfh = u32(OP_PUTFH) + u32(0)
    seeds["lock_granted"] = bytes([LOCK]) + rpc_reply(1, compound(
        sequence_result() + putfh + u32(OP_LOCK) + u32(0) + stateid(1), 3))
    seeds["lock_denied_by_our_owner"] = bytes([LOCK]) + rpc_reply(2, compound(
        sequence_result() + putfh + u32(OP_LOCK) + u32(NFS4ERR_DENIED) + lock_denied(OUR_OWNER),
        3, NFS4ERR_DENIED))
    seeds["lockt_denied_by_another_host"] = bytes([LOCKT]) + rpc_reply(3, compound(
        sequence_result() + putfh + u32(OP_LOCKT) + u32(NFS4ERR_DENIED) +
        lock_denied(b"another host's owner"), 3, NFS4ERR_DENIED))
    seeds["locku"] = bytes([LOCKU]) + rpc_reply(4, compound(
        sequence_result() + putfh + u32(OP_LOCKU) + u32(0) + stateid(2), 3))
    seeds["free_stateid"] = bytes([FREE_STATEID]) + rpc_reply(5, compound(
        sequence_result() + u32(OP_FREE_STATEID) + u32(0), 2))
    seeds["sequence_only"] = bytes([SEQUENCE_ONLY]) + rpc_reply(6, compound(sequence_result(), 1))
    return seeds


def fattr4_seeds(vectors):
    """The fattr4s of the captured GETATTR replies: after the header, SEQUENCE, PUTFH, GETATTR."""
    seeds = {}
    for name in ("putfh_getattr", "putfh_setattr_getattr", "putrootfh_lookup_getfh_getattr"):
        reply = vectors[name][1]
        getattr_at = reply.rfind(u32(OP_GETATTR) + u32(0))
        seeds[name] = reply[getattr_at + 8:]
    return seeds


def xdr_rpc_seeds(vectors):
    accepted = lambda status: u32(9) + u32(1) + u32(0) + u32(0) + u32(0) + u32(status)
    return {
        "reply_success": rpc_reply(7, vectors["putfh_getattr"][1]),
        "reply_prog_mismatch": accepted(2) + u32(4) + u32(4),
        "reply_garbage_args": accepted(4),
        "reply_rpc_mismatch": u32(9) + u32(1) + u32(1) + u32(0) + u32(2) + u32(2),
        "reply_auth_error": u32(9) + u32(1) + u32(1) + u32(1) + u32(5),
        # A program: u32, u64, boolean, opaque<1024>, bitmap; then their data.
        "program": bytes([0x80, 0x81, 0x82, 0x8b, 0x85, 0x00]) + u32(5) + u64(6) + u32(1) +
                   opaque(b"owner@example.com") + u32(2) + u32(0x0010011a) + u32(0x00b0a23a),
    }


# ---- NFSv3 replies (RFC 1813), after the RPC header ----

def fattr3(kind=1, size=22):
    return (u32(kind) + u32(0o644) + u32(1) + u32(1000) + u32(1000) + u64(size) + u64(4096) +
            u32(0) + u32(0) + u64(0x1234) + u64(42) + (u32(1700000000) + u32(5)) * 3)


def post_op_attr():
    return u32(1) + fattr3()


def wcc_data():
    return u32(1) + u64(22) + (u32(1700000000) + u32(5)) * 2 + post_op_attr()


def handle(number):
    return opaque(b"fh-%04d" % number)


def nfs3_seeds():
    # The reply type numbers of nfs3_replies_fuzzer.cpp.
    getattr_, setattr_, lookup, access, readlink, read, write, create, mkdir, rename, \
        readdirplus, commit, fsstat, fsinfo, link, remove = range(16)
    entry = lambda number, name, last: (u32(1) + u64(number) + opaque(name) + u64(number) +
                                        post_op_attr() + u32(1) + handle(number))
    return {
        "getattr": bytes([getattr_]) + u32(0) + fattr3(),
        "setattr": bytes([setattr_]) + u32(0) + wcc_data(),
        "lookup": bytes([lookup]) + u32(0) + handle(1) + post_op_attr() + post_op_attr(),
        "lookup_noent": bytes([lookup]) + u32(2) + post_op_attr(),
        "access": bytes([access]) + u32(0) + post_op_attr() + u32(0x3f),
        "readlink": bytes([readlink]) + u32(0) + post_op_attr() + opaque(b"target/of/link"),
        "read": bytes([read]) + u32(0) + post_op_attr() + u32(22) + u32(1) +
                opaque(b"hello, captured world\n"),
        "write": bytes([write]) + u32(0) + wcc_data() + u32(22) + u32(2) + b"verifier",
        "create": bytes([create]) + u32(0) + u32(1) + handle(2) + post_op_attr() + wcc_data(),
        "mkdir": bytes([mkdir]) + u32(0) + u32(1) + handle(3) + post_op_attr() + wcc_data(),
        "rename": bytes([rename]) + u32(0) + wcc_data() + wcc_data(),
        "readdirplus": bytes([readdirplus]) + u32(0) + post_op_attr() + b"cookieve" +
                       entry(1, b"a", False) + entry(2, b"bb", True) + u32(0) + u32(1),
        "commit": bytes([commit]) + u32(0) + wcc_data() + b"verifier",
        "fsstat": bytes([fsstat]) + u32(0) + post_op_attr() + u64(1 << 40) + u64(1 << 39) +
                  u64(1 << 39) + u64(1 << 20) + u64(1 << 19) + u64(1 << 19) + u32(0),
        "fsinfo": bytes([fsinfo]) + u32(0) + post_op_attr() + u32(1 << 20) + u32(1 << 20) +
                  u32(4096) + u32(1 << 20) + u32(1 << 20) + u32(4096) + u32(65536) +
                  u64((1 << 63) - 1) + u32(0) + u32(1) + u32(0x1b),
        "link": bytes([link]) + u32(0) + post_op_attr() + wcc_data(),
        "remove": bytes([remove]) + u32(0) + wcc_data(),
    }


# ---- the NFSv3 path's side services, after the RPC header ----

def nlm_mount_seeds():
    # The reply type numbers of nlm_mount_replies_fuzzer.cpp.
    getport, mnt, nlm4_res, nlm4_testres = range(4)
    auth_sys, auth_none = 1, 0
    nlm4_granted, nlm4_denied, nlm4_denied_grace_period = 0, 1, 4
    holder = lambda oh: u32(1) + u32(4242) + opaque(oh) + u64(0) + u64(0)
    return {
        "getport_nfs": bytes([getport]) + u32(2049),
        "getport_unregistered": bytes([getport]) + u32(0),
        "mnt_ok": bytes([mnt]) + u32(0) + opaque(b"root-handle-0001") + u32(2) +
                  u32(auth_sys) + u32(auth_none),
        "mnt_noent": bytes([mnt]) + u32(2),
        "nlm4_res_granted": bytes([nlm4_res]) + opaque(b"") + u32(nlm4_granted),
        "nlm4_res_grace": bytes([nlm4_res]) + opaque(b"cookie") + u32(nlm4_denied_grace_period),
        "nlm4_testres_granted": bytes([nlm4_testres]) + opaque(b"") + u32(nlm4_granted),
        "nlm4_testres_denied_by_our_owner": bytes([nlm4_testres]) + opaque(b"") +
                                            u32(nlm4_denied) +
                                            holder(b"nfsfuse/1122334455667788/7"),
        "nlm4_testres_denied_by_another_host": bytes([nlm4_testres]) + opaque(b"c") +
                                               u32(nlm4_denied) + holder(b"another host"),
    }


# ---- text inputs ----

MOUNT_OPTIONS = {
    "plain": "fileserver:/srv/nfs/projects\n",
    "nfs3_ports": "10.0.0.5:/exports/data\nvers=3,port=2049,mountport=20048,timeo=50,retrans=1\n",
    "url": "nfs://[fd00::5]:2049/srv/media\nro,allow_other\nuid=1000,gid=1000,hard\n",
    "fstab": "fileserver:/srv\n_netdev,nofail,timeo=100,retrans=2,allow_other,fsname=x\n",
    "caches": "h:/e\ncache=meta,acregmin=1,acregmax=5,acdirmin=2,acdirmax=9,nconnect=4\n"
              "readahead=4096,cache_size=64,local_lock=flock,debug\n",
}

VOLUME_OPTIONS = {
    "server_path": "data\nserver=10.0.0.5\npath=/exports/data\n",
    "share_fuse": "web.1\nshare=fileserver:/srv/www\nmode=fuse\nvers=3\nport=2049\nmountport=20048\n"
                  "uid=33\ngid=33\nro=true\nfuseopts=cache=meta,default_permissions\n",
    "kernel_opts": "db\nshare=[fd00::5]:/db\nmode=kernel\nhard=true\ntimeo=100\nretrans=3\n"
                   "subdir=pg/main\nnfsopts=noac,actimeo=30,rsize=1048576\n",
    "auto": "x_y-z\nserver=nfs\npath=/\nmode=auto\nvers=4.0\nsoft=true\n",
}

PLUGIN_REQUESTS = {
    "docker_lifecycle": (
        "/Plugin.Activate \n"
        "/VolumeDriver.Get {\"Name\":\"data\"}\n"
        "/VolumeDriver.Create {\"Name\":\"data\",\"Opts\":{\"server\":\"10.0.0.5\","
        "\"path\":\"/exports/data\"}}\n"
        "/VolumeDriver.Mount {\"Name\":\"data\",\"ID\":\"c1\"}\n"
        "/VolumeDriver.Mount {\"Name\":\"data\",\"ID\":\"c2\"}\n"
        "/VolumeDriver.Unmount {\"Name\":\"data\",\"ID\":\"c1\"}\n"
        "/VolumeDriver.List {}\n"
        "/VolumeDriver.Remove {\"Name\":\"data\"}\n"),
    "fuse_volume": (
        "/VolumeDriver.Create {\"Name\":\"web\",\"Opts\":{\"share\":\"fs:/srv/www\",\"mode\":\"fuse\","
        "\"subdir\":\"site/a\",\"fuseopts\":\"cache=meta\"}}\n"
        "/VolumeDriver.Path {\"Name\":\"web\"}\n"
        "/VolumeDriver.Mount {\"Name\":\"web\",\"ID\":\"x\"}\n"
        "/VolumeDriver.Get {\"Name\":\"web\"}\n"
        "/VolumeDriver.Capabilities \n"),
    "bad_requests": (
        "/VolumeDriver.Create {\"Name\":\"../etc\",\"Opts\":null}\n"
        "/VolumeDriver.Create {\"Name\":\"v\",\"Opts\":{\"colour\":\"red\"}}\n"
        "/VolumeDriver.Mount {\"Name\":\"v\"}\n"
        "/VolumeDriver.Nope {}\n"
        "/VolumeDriver.Get [1,2]\n"),
}


def write_corpus(target, seeds):
    directory = os.path.join(CORPUS, target)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(directory, name), "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
    print(f"{target}: {len(seeds)} seeds")


def main():
    vectors = captured()
    missing = set(READER_OF) - set(vectors)
    if missing:
        raise SystemExit(f"make-seeds: not in {VECTORS}: {sorted(missing)}")
    write_corpus("compound_reply", nfs4_seeds(vectors))
    write_corpus("fattr4", fattr4_seeds(vectors))
    write_corpus("xdr_rpc", xdr_rpc_seeds(vectors))
    write_corpus("nfs3_replies", nfs3_seeds())
    write_corpus("nlm_mount_replies", nlm_mount_seeds())
    write_corpus("mount_options", MOUNT_OPTIONS)
    write_corpus("volume_options", VOLUME_OPTIONS)
    write_corpus("plugin_api", PLUGIN_REQUESTS)


if __name__ == "__main__":
    main()
