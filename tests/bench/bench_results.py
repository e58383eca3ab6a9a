#!/usr/bin/python3
"""The result files of io_bench.sh: JSON made from the tab-separated lines the script writes.

    bench_results.py from-tsv RESULTS.tsv > RESULTS.json

The JSON (schema SCHEMA) holds the run's settings, every row with each client's value, each
run's rate where a row had several, its ratios, and the CPU time per GiB. bench_report.py and
plot_ratios.py read it through load(). Python 3 standard library only.
"""

import json
import sys

SCHEMA = "nfsfuse-io-bench/1"

# The columns of io_bench.sh's table, in its order, and the ratios it computes; each ratio is the
# first client's speed against the second's (seconds inverted), so > 1 means the first is faster.
CLIENTS = ["v3", "v4.1", "raw", "disk", "v3 cache=none"]
RATIOS = ["v3/raw", "v4.1/raw", "v4.1/v3", "v3/disk", "v4.1/disk", "full/none"]
# Issue 16's targets, each (row, ratio, lowest value met, what it says). "*" as the row: every row
# that has the ratio. The untar is "within 10x of the local disk": at least 0.1x its speed.
TARGETS = [
    ("read_cold", "v3/raw", 0.9, "cold sequential read, v3 >= 0.9x raw libnfs"),
    ("read_cold", "v4.1/raw", 0.9, "cold sequential read, v4.1 >= 0.9x raw libnfs"),
    ("seq_write", "v3/raw", 0.9, "sequential write, v3 >= 0.9x raw libnfs"),
    ("seq_write", "v4.1/raw", 0.9, "sequential write, v4.1 >= 0.9x raw libnfs"),
    ("rand4", "v3/raw", 0.9, "random 4 KiB, 4 jobs, v3 >= 0.9x raw with 4 connections"),
    ("rand4", "v4.1/raw", 0.9, "random 4 KiB, 4 jobs, v4.1 >= 0.9x raw with 4 connections"),
    ("*", "v4.1/v3", 0.95, "v4.1 >= 0.95x v3 on every row"),
    ("untar", "v3/disk", 0.1, "untar, v3 within 10x of the local disk"),
    ("untar", "v4.1/disk", 0.1, "untar, v4.1 within 10x of the local disk"),
]
# Settings that are numbers (the others are kept as text).
NUMERIC_SETTINGS = {
    "BENCH_SIZE_MIB", "BENCH_FILES", "BENCH_RUNTIME_S", "BENCH_ROUNDS", "BENCH_V41_FIRST",
    "tar_entries", "tar_mb",
    "cpus", "ram_gib", "server_readmax", "server_writemax", "measured_seconds",
}


class ResultError(Exception):
    """A result file or TSV line that is not what io_bench.sh writes."""


def number_or_none(text, where):
    """io_bench.sh's values: a number, or n/a (no value for this client, e.g. raw's untar)."""
    if text == "n/a":
        return None
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        raise ResultError(f"{where}: '{text}' is not a number") from None


def from_tsv(lines):
    """The result dictionary of io_bench.sh's tab-separated lines."""
    result = {"schema": SCHEMA, "settings": {}, "rows": [], "cpu": []}
    rows = {}

    def row_of(row_id, where):
        if row_id not in rows:
            raise ResultError(f"{where}: row '{row_id}' before its 'row' line")
        return rows[row_id]

    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line:
            continue
        fields = line.split("\t")
        kind, where = fields[0], f"line {number}"
        expected = {"setting": 3, "row": 4, "value": 4, "runs": 4, "ratio": 4, "cpu": 6}
        if expected.get(kind) != len(fields):
            raise ResultError(f"{where}: not a known line of {expected.get(kind, '?')} fields: {line!r}")
        if kind == "setting":
            key, text = fields[1], fields[2]
            result["settings"][key] = number_or_none(text, where) if key in NUMERIC_SETTINGS else text
        elif kind == "row":
            row = {"id": fields[1], "unit": fields[2], "label": fields[3],
                   "lower_is_better": fields[2] == "seconds", "values": {}, "runs": {},
                   "ratios": {}}
            rows[fields[1]] = row
            result["rows"].append(row)
        elif kind == "value":
            if fields[2] not in CLIENTS:
                raise ResultError(f"{where}: unknown client '{fields[2]}'")
            row_of(fields[1], where)["values"][fields[2]] = number_or_none(fields[3], where)
        elif kind == "runs":
            row_of(fields[1], where)["runs"][fields[2]] = [
                number_or_none(text, where) for text in fields[3].split()]
        elif kind == "ratio":
            if fields[2] not in RATIOS:
                raise ResultError(f"{where}: unknown ratio '{fields[2]}'")
            row_of(fields[1], where)["ratios"][fields[2]] = number_or_none(fields[3], where)
        else:  # cpu ROW CLIENT PROCESS SECONDS BYTES
            row_of(fields[1], where)
            seconds = number_or_none(fields[4], where)
            byte_count = number_or_none(fields[5], where)
            if not byte_count:
                raise ResultError(f"{where}: CPU time for no bytes")
            result["cpu"].append({
                "row": fields[1], "client": fields[2], "process": fields[3],
                "seconds": seconds, "bytes": int(byte_count),
                "seconds_per_gib": round(seconds / (byte_count / 2**30), 3)})
    for key in ("finished", "commit"):
        if key not in result["settings"]:
            raise ResultError(f"no '{key}' setting")
    result["cpu"].sort(key=lambda c: (c["row"], CLIENTS.index(c["client"]), c["process"]))
    return result


def load(path):
    """A result file of io_bench.sh (BENCH_OUT), checked for its schema."""
    with open(path, encoding="utf-8") as file:
        try:
            result = json.load(file)
        except json.JSONDecodeError as error:
            raise ResultError(f"{path}: not JSON: {error}") from None
    if not isinstance(result, dict) or result.get("schema") != SCHEMA:
        raise ResultError(f"{path}: not an io_bench result (schema {SCHEMA})")
    result["path"] = path
    return result


def row(result, row_id):
    """The row ROW_ID of a result, or None when that run did not have it."""
    return next((r for r in result["rows"] if r["id"] == row_id), None)


def ratio(result, row_id, name):
    """One ratio of one row, or None (not measured, or n/a)."""
    found = row(result, row_id)
    return None if found is None else found["ratios"].get(name)


def cpu_per_gib(result, row_id, client, process):
    """CPU seconds per GiB of one process for one client's row, or None."""
    for entry in result["cpu"]:
        if (entry["row"], entry["client"], entry["process"]) == (row_id, client, process):
            return entry["seconds_per_gib"]
    return None


def run_label(result):
    """How a run is named in tables and plots: its commit and when it finished."""
    settings = result["settings"]
    finished = settings["finished"].replace("T", " ").rstrip("Z")[:16]
    dirty = "+" if settings.get("uncommitted_changes") == "yes" else ""
    return f"{settings['commit']}{dirty} {finished}"


def main(argv):
    if len(argv) != 3 or argv[1] != "from-tsv":
        sys.exit("usage: bench_results.py from-tsv RESULTS.tsv > RESULTS.json")
    try:
        with open(argv[2], encoding="utf-8") as file:
            result = from_tsv(file)
    except (OSError, ResultError) as error:
        sys.exit(f"bench_results.py: {argv[2]}: {error}")
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
