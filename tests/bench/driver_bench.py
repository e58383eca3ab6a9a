#!/usr/bin/python3
"""The measuring half of driver_bench.sh (which builds, starts nfs-ganesha and the driver, and
cleans up): talks to nfsfuse-driver's plugin socket the way dockerd does and prints one table.

    driver_bench.py run     --socket S --volume-root R --export E --nfs-port P --mount-port M
                            --nfsfuse BIN --volumes N --clients C --pidfile F --log L
                            -- DRIVER_ARGV...
    driver_bench.py cleanup --socket S --pidfile P

Every call is timed here, around the HTTP exchange only, with time.perf_counter_ns, so neither a
fork per call nor Python's start-up is in the numbers. Every reply is checked (HTTP 200, "Err"
empty, the fields the call promises): any failure stops the run with exit status 1 and the table is
never printed, so no number ever stands for something that failed.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import datetime
import http.client
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time


class BenchError(Exception):
    """A failed call or check: the run stops and says why."""


# ------------------------------------------------------------------------------------------------
# The plugin socket.


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX stream socket (the Host header is irrelevant to the driver)."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.unix_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


# The driver bounds an nfsfuse mount at 90 s; a reply later than this is a hang.
CALL_TIMEOUT_S = 150


class Client:
    def __init__(self, socket_path):
        self.socket_path = socket_path

    def post(self, endpoint, body, timeout=CALL_TIMEOUT_S):
        """POSTs one call on a fresh connection (as a fresh dockerd request would be) and returns
        (reply, nanoseconds). The time covers connect, request and the whole reply. Raises
        BenchError unless the reply is HTTP 200 with an empty "Err"."""
        payload = json.dumps(body) if body is not None else ""
        conn = UnixHTTPConnection(self.socket_path, timeout)
        try:
            start = time.perf_counter_ns()
            conn.request("POST", endpoint, body=payload,
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter_ns() - start
        except (OSError, http.client.HTTPException) as error:
            raise BenchError(f"{endpoint} {payload}: no reply: {error!r}") from error
        finally:
            conn.close()
        if response.status != 200:
            raise BenchError(f"{endpoint} {payload}: HTTP {response.status}: {data[:500]!r}")
        try:
            reply = json.loads(data)
        except ValueError as error:
            raise BenchError(f"{endpoint} {payload}: reply is not JSON: {data[:500]!r}") from error
        if not isinstance(reply, dict):
            raise BenchError(f"{endpoint} {payload}: reply is not a JSON object: {data[:500]!r}")
        # Plugin.Activate has no "Err"; every VolumeDriver call has one, empty on success.
        if endpoint.startswith("/VolumeDriver.") and reply.get("Err") != "":
            raise BenchError(f"{endpoint} {payload}: Err={reply.get('Err')!r}")
        return reply, elapsed


# ------------------------------------------------------------------------------------------------
# Processes, memory and mounts, from /proc.


def rss_kib(pid):
    """VmRSS of PID in KiB (from /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    raise BenchError(f"pid {pid}: no VmRSS (the process is gone?)")


def pid_alive(pid):
    """True while PID exists and is not a zombie (a zombie has closed its socket and mounts)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def nfsfuse_processes(binary, volume_root):
    """{mountpoint: pid} of the nfsfuse processes this benchmark's driver started: argv[0] is the
    benchmark's own copy of nfsfuse and argv[2] (the mountpoint) is under the volume root. Raises
    if two processes serve one mountpoint."""
    found = {}
    prefix = volume_root.rstrip("/") + "/"
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except OSError:
            continue
        if len(argv) < 3 or os.fsdecode(argv[0]) != binary:
            continue
        mountpoint = os.fsdecode(argv[2])
        if not mountpoint.startswith(prefix) or not pid_alive(int(entry)):
            continue
        if mountpoint in found:
            raise BenchError(f"two nfsfuse processes serve {mountpoint}: pids "
                             f"{found[mountpoint]} and {entry}")
        found[mountpoint] = int(entry)
    return found


def unescape_mountinfo(field):
    """Undoes the kernel's octal escapes (\\040 for a space, ...) in a mountinfo field."""
    out, i = bytearray(), 0
    raw = field.encode()
    while i < len(raw):
        octal = raw[i + 1:i + 4]
        if raw[i] == ord("\\") and len(octal) == 3 and all(c in b"01234567" for c in octal):
            out.append(int(octal, 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return os.fsdecode(bytes(out))


def fuse_mounts_under(volume_root):
    """Mountpoints below the volume root whose file system type is fuse.* (the nfsfuse mounts)."""
    prefix = volume_root.rstrip("/") + "/"
    mounts = set()
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            mountpoint = unescape_mountinfo(fields[4])
            fstype = fields[fields.index("-") + 1]
            if mountpoint.startswith(prefix) and fstype.startswith("fuse"):
                mounts.add(mountpoint)
    return mounts


# ------------------------------------------------------------------------------------------------
# Numbers.


def percentile(sorted_values, fraction):
    """Nearest-rank percentile: the smallest value with at least `fraction` of all at or below."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def ms(ns):
    return ns / 1e6


def mib(kib):
    return kib / 1024


# ------------------------------------------------------------------------------------------------
# The benchmark.


class Bench:
    def __init__(self, args):
        self.args = args
        self.client = Client(args.socket)
        self.n = args.volumes
        width = max(3, len(str(self.n)))
        self.names = [f"b{i:0{width}d}" for i in range(1, self.n + 1)]
        self.root = args.volume_root.rstrip("/")
        self.latencies = {}  # row label -> [ns, ...]
        self.results = {}
        self.ports_given = False  # set by choose_options

    # -- helpers ---------------------------------------------------------------------------------

    def driver_pid(self):
        with open(self.args.pidfile) as pidfile:
            return int(pidfile.read().strip())

    def note(self, text):
        """Progress on stderr, so stdout carries the table only."""
        print(f"driver_bench: {text}", file=sys.stderr, flush=True)

    def timed(self, label, endpoint, body):
        reply, elapsed = self.client.post(endpoint, body)
        self.latencies.setdefault(label, []).append(elapsed)
        return reply

    def options(self):
        # NFSv3 (not the default NFSv4.1), as the numbers in docs/BENCHMARKS.md were measured.
        options = {"server": "127.0.0.1", "path": self.args.export, "mode": "fuse", "vers": "3"}
        if self.ports_given:
            options.update(port=str(self.args.nfs_port), mountport=str(self.args.mount_port))
        return options

    def choose_options(self):
        """Volumes name ganesha's NFS and MOUNT ports (port=, mountport=) so that nfsfuse does not
        ask rpcbind: another ganesha on this machine (the integration tests start many) takes
        over, or drops, the one rpcbind registration whenever it starts or stops, and a mount
        would then ask the wrong server. A driver without the mountport option refuses it at
        Create; then the volumes go through the portmapper, and the table says so."""
        self.ports_given = bool(self.args.nfs_port and self.args.mount_port)
        if not self.ports_given:
            return
        probe = {"Name": "probe", "Opts": self.options()}
        try:
            self.client.post("/VolumeDriver.Create", probe)
        except BenchError as error:
            if "mountport" not in str(error):
                raise
            self.note("this driver has no mountport option: volumes use the portmapper")
            self.ports_given = False
            return
        self.client.post("/VolumeDriver.Remove", {"Name": "probe"})

    def mountpoint(self, name):
        return f"{self.root}/{name}"

    def mount(self, label, name, mount_id):
        reply = self.timed(label, "/VolumeDriver.Mount", {"Name": name, "ID": mount_id})
        if reply.get("Mountpoint") != self.mountpoint(name):
            raise BenchError(f"Mount {name} {mount_id}: Mountpoint {reply.get('Mountpoint')!r}, "
                             f"expected {self.mountpoint(name)!r}")

    def wait_ready(self, timeout_s=15):
        """Polls Plugin.Activate until the driver answers."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.client.post("/Plugin.Activate", None, timeout=5)
                return
            except BenchError as error:
                if time.monotonic() > deadline:
                    raise BenchError(f"the driver does not answer on {self.args.socket} after "
                                     f"{timeout_s} s: {error}") from error
                if not pid_alive(self.driver_pid()):
                    raise BenchError("the driver exited during start-up") from error
            time.sleep(0.02)

    def check_all_mounted(self, when, expected_count):
        """Every volume: mounted per List and Get (with `expected_count` IDs), one live nfsfuse
        mount in mountinfo and one nfsfuse process. Returns {mountpoint: nfsfuse pid}."""
        reply, _ = self.client.post("/VolumeDriver.List", {})
        listed = {v["Name"]: v.get("Mountpoint") for v in reply.get("Volumes", [])}
        if sorted(listed) != self.names:
            raise BenchError(f"{when}: List shows {len(listed)} volumes, expected {self.n}")
        unmounted = [name for name, mp in listed.items() if mp != self.mountpoint(name)]
        if unmounted:
            raise BenchError(f"{when}: List shows {len(unmounted)} volume(s) not mounted: "
                             f"{unmounted[:10]}")
        for name in self.names:
            status = self.client.post("/VolumeDriver.Get", {"Name": name})[0]["Volume"]["Status"]
            if not status.get("mounted") or status.get("mount_count") != expected_count:
                raise BenchError(f"{when}: Get {name}: Status {status}, expected mounted with "
                                 f"mount_count {expected_count}")
        expected = {self.mountpoint(name) for name in self.names}
        mounts = fuse_mounts_under(self.root)
        if mounts != expected:
            raise BenchError(f"{when}: {len(mounts & expected)} of {self.n} FUSE mounts in "
                             f"/proc/self/mountinfo; missing {sorted(expected - mounts)[:10]}, "
                             f"extra {sorted(mounts - expected)[:10]}")
        processes = nfsfuse_processes(self.args.nfsfuse, self.root)
        if set(processes) != expected:
            raise BenchError(f"{when}: {len(processes)} nfsfuse processes for {self.n} volumes; "
                             f"without one: {sorted(expected - set(processes))[:10]}, "
                             f"unexpected: {sorted(set(processes) - expected)[:10]}")
        return processes

    def check_mounts_answer(self, when):
        """Each mount answers a stat and a readdir (through nfsfuse, to the server): live, not
        just listed in mountinfo."""
        root_dev = os.stat(self.root).st_dev
        for name in self.names:
            mountpoint = self.mountpoint(name)
            try:
                if os.stat(mountpoint).st_dev == root_dev:
                    raise BenchError(f"{when}: {mountpoint} is the bare directory, not a mount")
                os.listdir(mountpoint)
            except OSError as error:
                raise BenchError(f"{when}: {mountpoint} does not answer: {error}") from error

    def wait_all_unmounted(self, when, timeout_s=15):
        """After the last Unmounts: no FUSE mount left under the root, and every nfsfuse process
        gone (the kernel ends the FUSE session; nfsfuse exits by itself)."""
        deadline = time.monotonic() + timeout_s
        while True:
            mounts = fuse_mounts_under(self.root)
            processes = nfsfuse_processes(self.args.nfsfuse, self.root)
            if not mounts and not processes:
                return
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{when}: {timeout_s} s after the last Unmount replies, {len(mounts)} FUSE "
                    f"mount(s) and {len(processes)} nfsfuse process(es) are left: "
                    f"{sorted(mounts)[:5]} pids {sorted(processes.values())[:10]}")
            time.sleep(0.05)

    @staticmethod
    def concurrently(clients, function, calls):
        """function(*args) for every args in calls, from `clients` threads; returns when all are
        done. The first failure is raised once the calls already running have finished; the
        calls not started yet are dropped."""
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=clients)
        try:
            for future in [pool.submit(function, *args) for args in calls]:
                future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- phases ----------------------------------------------------------------------------------

    def run(self):
        self.wait_ready()
        self.choose_options()
        # Idle: the driver has served Activate and holds no volume.
        self.results["driver_idle_kib"] = rss_kib(self.driver_pid())

        self.note(f"Create x{self.n}")
        for name in self.names:
            self.timed("create", "/VolumeDriver.Create", {"Name": name, "Opts": self.options()})

        # The first Mount of each volume starts an nfsfuse process and returns once it is live.
        # One after another: the wall time of this loop is the sequential mount time.
        self.note(f"Mount (first) x{self.n}, one after another")
        start = time.perf_counter_ns()
        for name in self.names:
            self.mount("mount_first", name, f"seq-{name}")
        self.results["mount_all_sequential_ns"] = time.perf_counter_ns() - start

        # A second container on the same volume: only the reference count changes.
        self.note(f"Mount (second ID) x{self.n}")
        for name in self.names:
            self.mount("mount_second", name, f"ref-{name}")

        self.note(f"Get x{self.n}, List x{self.n}")
        for name in self.names:
            reply = self.timed("get", "/VolumeDriver.Get", {"Name": name})
            if reply.get("Volume", {}).get("Name") != name:
                raise BenchError(f"Get {name}: reply {reply}")
        for _ in range(self.n):
            reply = self.timed("list", "/VolumeDriver.List", {})
            if len(reply.get("Volumes", [])) != self.n:
                raise BenchError(f"List: {len(reply.get('Volumes', []))} volumes, expected "
                                 f"{self.n}")

        # Memory while all N are mounted (and idle: nothing has read or written files yet).
        processes = self.check_all_mounted("after the first mounts", 2)
        self.results["nfsfuse_kib"] = sorted(rss_kib(pid) for pid in processes.values())
        self.results["driver_mounted_kib"] = rss_kib(self.driver_pid())
        self.check_mounts_answer("after the first mounts")

        self.restart(processes)

        # Unmount: first the second IDs (count only), then the first ones (really unmounts).
        self.note(f"Unmount x{2 * self.n}")
        for name in self.names:
            self.timed("unmount_not_last", "/VolumeDriver.Unmount",
                       {"Name": name, "ID": f"ref-{name}"})
        for name in self.names:
            self.timed("unmount_last", "/VolumeDriver.Unmount", {"Name": name, "ID": f"seq-{name}"})
        self.wait_all_unmounted("after the last Unmounts")

        # The same N first mounts again, from concurrent clients (dockerd starting containers in
        # parallel). Each volume is still mounted only once.
        clients = self.args.clients
        self.note(f"Mount (first) x{self.n} from {clients} concurrent clients")
        start = time.perf_counter_ns()
        self.concurrently(clients, self.mount,
                          [("mount_concurrent", name, f"par-{name}") for name in self.names])
        self.results["mount_all_concurrent_ns"] = time.perf_counter_ns() - start
        self.check_all_mounted("after the concurrent mounts", 1)
        self.concurrently(clients, self.client.post,
                          [("/VolumeDriver.Unmount", {"Name": name, "ID": f"par-{name}"})
                           for name in self.names])
        self.wait_all_unmounted("after the concurrent Unmounts")

        self.note(f"Remove x{self.n}")
        for name in self.names:
            self.timed("remove", "/VolumeDriver.Remove", {"Name": name})
        left = self.client.post("/VolumeDriver.List", {})[0].get("Volumes", [])
        if left:
            raise BenchError(f"after Remove: List still shows {len(left)} volume(s)")

    def restart(self, processes_before):
        """SIGTERM, then the same command again: the new driver adopts the live mounts. Measures
        from the new process's start to the first answered Get and to List reporting all volumes
        mounted, then checks nothing was lost or mounted again (the same nfsfuse processes serve
        the same mountpoints)."""
        self.note("restarting the driver")
        old_pid = self.driver_pid()
        stop_start = time.perf_counter_ns()
        os.kill(old_pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while pid_alive(old_pid):
            if time.monotonic() > deadline:
                raise BenchError(f"the driver (pid {old_pid}) did not exit within 15 s of SIGTERM")
            time.sleep(0.002)
        self.results["stop_ns"] = time.perf_counter_ns() - stop_start

        with open(self.args.log, "ab") as log:
            start = time.perf_counter_ns()
            # Own session: the driver must outlive this script's process if it stops early, and the
            # cleanup in driver_bench.sh finds it through the pidfile.
            driver = subprocess.Popen(self.args.driver_argv, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=log, start_new_session=True)
        with open(self.args.pidfile, "w") as pidfile:
            pidfile.write(f"{driver.pid}\n")

        # The socket file may not exist yet, or still be the old one (the new driver replaces a
        # stale socket): poll every 2 ms until a Get is answered.
        first = self.names[0]
        deadline = time.monotonic() + 120
        while True:
            try:
                self.client.post("/VolumeDriver.Get", {"Name": first}, timeout=30)
                break
            except BenchError as error:
                if driver.poll() is not None:
                    raise BenchError(f"the restarted driver exited with status "
                                     f"{driver.returncode}") from error
                if time.monotonic() > deadline:
                    raise BenchError(f"the restarted driver did not answer Get within 120 s: "
                                     f"{error}") from error
                time.sleep(0.002)
        self.results["restart_get_ns"] = time.perf_counter_ns() - start

        # A driver may serve the socket while it still adopts the volumes (reporting them
        # unmounted until then): wait until List reports every volume mounted again.
        deadline = time.monotonic() + 120
        while True:
            volumes = self.client.post("/VolumeDriver.List", {})[0].get("Volumes", [])
            pending = [v.get("Name") for v in volumes
                       if v.get("Mountpoint") != self.mountpoint(v.get("Name"))]
            if len(volumes) == self.n and not pending:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"120 s after the restart, List shows {len(volumes)} volumes, "
                                 f"{len(pending)} of them not mounted: {pending[:10]}")
            time.sleep(0.002)
        self.results["restart_all_mounted_ns"] = time.perf_counter_ns() - start

        processes_after = self.check_all_mounted("after the restart", 2)
        if processes_after != processes_before:
            changed = [mp for mp in processes_before
                       if processes_after.get(mp) != processes_before[mp]]
            raise BenchError(f"after the restart, {len(changed)} volume(s) are served by another "
                             f"nfsfuse process than before (remounted, not adopted): "
                             f"{changed[:10]}")
        self.check_mounts_answer("after the restart")

    # -- the table -------------------------------------------------------------------------------

    def table(self):
        n, clients = self.n, self.args.clients
        lines = []
        cpu = "unknown CPU"
        try:
            with open("/proc/cpuinfo") as cpuinfo:
                for line in cpuinfo:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        with open("/proc/meminfo") as meminfo:
            mem_gib = int(meminfo.readline().split()[1]) / 1024 / 1024
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        ports = ("port= and mountport= given" if self.ports_given else
                 "ports from the portmapper")
        lines.append(f"nfsfuse-driver benchmark: {n} volumes, mode=fuse, NFSv3 to nfs-ganesha "
                     f"(VFS) on 127.0.0.1 ({ports})")
        lines.append(f"machine: nproc {len(os.sched_getaffinity(0))} ({cpu}), {mem_gib:.0f} GiB "
                     f"RAM, kernel {platform.release()}")
        lines.append(f"date: {now}")
        lines.append(f"binaries: {self.args.revision}")
        lines.append("")
        lines.append("latency per call, ms (fresh unix-socket connection per call; nearest-rank "
                     "percentiles)")
        header = f"{'call':<44}{'calls':>6}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}"
        lines.append(header)
        lines.append("-" * len(header))
        rows = [
            ("create", "Create"),
            ("mount_first", "Mount, first (starts nfsfuse, waits)"),
            ("mount_second", "Mount, second ID (count only)"),
            ("get", "Get"),
            ("list", f"List ({n} volumes)"),
            ("unmount_not_last", "Unmount, not last (count only)"),
            ("unmount_last", "Unmount, last (unmounts)"),
            ("remove", "Remove"),
            ("mount_concurrent", f"Mount, first, {clients} concurrent clients"),
        ]
        for key, label in rows:
            values = sorted(self.latencies[key])
            lines.append(f"{label:<44}{len(values):>6}"
                         f"{ms(percentile(values, 0.50)):>9.2f}{ms(percentile(values, 0.90)):>9.2f}"
                         f"{ms(percentile(values, 0.99)):>9.2f}{ms(values[-1]):>9.2f}")
        lines.append("")

        lines.append(f"memory, RSS (VmRSS) in MiB, all {n} volumes mounted")
        header = f"{'process':<44}{'count':>6}{'min':>9}{'median':>9}{'max':>9}{'total':>9}"
        lines.append(header)
        lines.append("-" * len(header))
        fuse = self.results["nfsfuse_kib"]
        lines.append(f"{'nfsfuse (one per volume)':<44}{len(fuse):>6}{mib(fuse[0]):>9.1f}"
                     f"{mib(statistics.median(fuse)):>9.1f}{mib(fuse[-1]):>9.1f}"
                     f"{mib(sum(fuse)):>9.1f}")
        idle, mounted = self.results["driver_idle_kib"], self.results["driver_mounted_kib"]
        lines.append(f"{'nfsfuse-driver, idle (no volumes)':<44}{1:>6}{mib(idle):>9.1f}"
                     f"{'':>9}{'':>9}{'':>9}")
        lines.append(f"{f'nfsfuse-driver, {n} volumes mounted':<44}{1:>6}{mib(mounted):>9.1f}"
                     f"{'':>9}{'':>9}{'':>9}")
        lines.append("")

        lines.append(f"mount all {n} volumes (first Mounts)")
        header = f"{'':<44}{'wall s':>9}{'vol/s':>9}"
        lines.append(header)
        lines.append("-" * len(header))
        for key, label in [("mount_all_sequential_ns", "one after another"),
                           ("mount_all_concurrent_ns", f"{clients} concurrent clients")]:
            seconds = self.results[key] / 1e9
            lines.append(f"{label:<44}{seconds:>9.2f}{n / seconds:>9.1f}")
        lines.append("")
        lines.append(f"restart: driver restarted with {n} volumes mounted, answered Get after "
                     f"{ms(self.results['restart_get_ns']):.1f} ms, all {n} still mounted")
        lines.append(f"         (List reported all {n} mounted again after "
                     f"{ms(self.results['restart_all_mounted_ns']):.1f} ms; the old driver exited "
                     f"{ms(self.results['stop_ns']):.1f} ms after SIGTERM;")
        lines.append(f"         the same {n} nfsfuse processes serve the same mounts, none was "
                     f"mounted again)")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Cleanup: best effort, for driver_bench.sh's exit trap.


def cleanup(args):
    """Unmounts every ID the benchmark may have used and removes every volume. Errors are reported
    and skipped: whatever stays mounted, driver_bench.sh unmounts lazily afterwards."""
    client = Client(args.socket)
    deadline = time.monotonic() + 60
    try:
        volumes = client.post("/VolumeDriver.List", {}, timeout=10)[0].get("Volumes", [])
    except BenchError as error:
        print(f"driver_bench cleanup: cannot list volumes: {error}", file=sys.stderr)
        return 1
    failures = 0
    for volume in volumes:
        name = volume["Name"]
        # The driver ignores IDs it does not know, so trying all three kinds is harmless.
        for prefix in ("ref", "seq", "par"):
            if time.monotonic() > deadline:
                print("driver_bench cleanup: giving up after 60 s", file=sys.stderr)
                return 1
            try:
                client.post("/VolumeDriver.Unmount", {"Name": name, "ID": f"{prefix}-{name}"},
                            timeout=30)
            except BenchError as error:
                failures += 1
                print(f"driver_bench cleanup: {error}", file=sys.stderr)
        try:
            client.post("/VolumeDriver.Remove", {"Name": name}, timeout=30)
        except BenchError as error:
            failures += 1
            print(f"driver_bench cleanup: {error}", file=sys.stderr)
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "cleanup"])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--pidfile", required=True, help="holds the driver's pid; updated on "
                        "restart")
    parser.add_argument("--volume-root")
    parser.add_argument("--export")
    parser.add_argument("--nfsfuse", help="the nfsfuse binary the driver runs")
    parser.add_argument("--nfs-port", type=int, help="ganesha's NFS port, for port=")
    parser.add_argument("--mount-port", type=int, help="ganesha's MOUNT port, for mountport=")
    parser.add_argument("--volumes", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--log", help="the driver's log (the restarted driver appends to it)")
    parser.add_argument("--revision", default="unknown", help="what was measured, for the header")
    # Everything after "--" is the driver's command line (for the restart), taken as it is.
    argv = sys.argv[1:]
    driver_argv = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.driver_argv = driver_argv

    if args.command == "cleanup":
        return cleanup(args)
    if args.volumes < 1 or args.clients < 1:
        parser.error("--volumes and --clients must be at least 1")
    for required in ("volume_root", "export", "nfsfuse", "log", "driver_argv"):
        if not getattr(args, required):
            parser.error(f"run needs --{required.replace('_', '-')}")
    bench = Bench(args)
    try:
        bench.run()
    except BenchError as error:
        print(f"driver_bench: FAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("driver_bench: interrupted", file=sys.stderr)
        return 130
    print(bench.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
