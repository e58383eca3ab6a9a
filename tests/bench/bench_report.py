#!/usr/bin/python3
"""Text reports of io_bench.sh result files (BENCH_OUT, bench_results.py), in Markdown.

    bench_report.py targets RESULT.json      issue 16's targets: this run's value, met or not
    bench_report.py spread RESULT.json...    each ratio and value of each run, and its min-max
    bench_report.py history RESULT.json...   the target ratios of each run, oldest first

Python 3 standard library only.
"""

import sys

import bench_results
from bench_results import TARGETS

# The ratios of the spread table: against raw libnfs, between the versions, against the disk
# (only where raw has no value).
SPREAD_RATIOS = ["v3/raw", "v4.1/raw", "v4.1/v3", "v3/disk", "v4.1/disk", "full/none"]
CPU_ROWS = [("read_cold", "cold read"), ("seq_write", "sequential write")]
CPU_PROCESSES = [("client", "nfsfuse or raw_libnfs_bench"), ("server", "ganesha"),
                 ("app", "dd (the application)")]


def fmt(value):
    return "n/a" if value is None else f"{value:.2f}"


def fmt_value(value):
    """A measured value as io_bench.sh prints it: rates of 1000 and more without decimals."""
    if value is None:
        return "n/a"
    return f"{value:.0f}" if value >= 1000 else f"{value:.2f}".rstrip("0").rstrip(".")


def value_of(result, row_id, client):
    found = bench_results.row(result, row_id)
    return None if found is None else found["values"].get(client)


def run_name(number, result):
    """'run 2 = abc1234 2026-12-05 07:20', with the extra nfsfuse options if there were any."""
    options = result["settings"].get("NFSFUSE_BENCH_OPTS")
    extra = f" (NFSFUSE_BENCH_OPTS={options})" if options else ""
    return f"run {number} = {bench_results.run_label(result)}{extra}"


def rows_with(result, row_id, name):
    """(row id, value) of the target's rows in RESULT: one row, or every row with the ratio."""
    if row_id != "*":
        return [(row_id, bench_results.ratio(result, row_id, name))]
    return [(r["id"], r["ratios"][name]) for r in result["rows"]
            if r["ratios"].get(name) is not None]


def target_lines(result):
    lines = ["| target | this run | met |", "|---|---|---|"]
    for row_id, name, lowest, text in TARGETS:
        found = rows_with(result, row_id, name)
        values = [(value, r) for r, value in found if value is not None]
        if not values:
            lines.append(f"| {text} | not measured | n/a |")
            continue
        value, worst_row = min(values)
        shown = fmt(value) if row_id != "*" else f"lowest {fmt(value)} ({worst_row})"
        lines.append(f"| {text} | {shown} | {'yes' if value >= lowest else 'no'} |")
    return lines


def cpu_lines(result):
    """CPU seconds per GiB of the cold read and the write, for each client and process."""
    lines = ["| CPU s per GiB | process | v3 | v4.1 | raw | disk |", "|---|---|---|---|---|---|"]
    for row_id, row_name in CPU_ROWS:
        for process, what in CPU_PROCESSES:
            values = [bench_results.cpu_per_gib(result, row_id, client, process)
                      for client in ("v3", "v4.1", "raw", "disk")]
            if any(v is not None for v in values):
                cells = " | ".join("" if v is None else f"{v:.2f}" for v in values)
                lines.append(f"| {row_name} | {what} | {cells} |")
    return lines


def spread_lines(results):
    """Every ratio of every row, then every value and the CPU per GiB: each run's (the first is
    the one quoted), and the min-max over the runs."""
    head = "| row | ratio, or client and unit | " + " | ".join(
        f"run {i}" for i in range(1, len(results) + 1))
    lines = [head + " | min-max |", "|---|---|" + "---|" * (len(results) + 1)]
    for first_row in results[0]["rows"]:
        for name in SPREAD_RATIOS:
            if name.endswith("/disk") and first_row["values"].get("raw") is not None:
                continue  # against the disk only where raw libnfs has nothing to compare
            values = [bench_results.ratio(r, first_row["id"], name) for r in results]
            present = [v for v in values if v is not None]
            if not present:
                continue
            cells = " | ".join(fmt(v) for v in values)
            lines.append(f"| {first_row['label']} | {name} | {cells} | "
                         f"{fmt(min(present))}-{fmt(max(present))} |")
    for first_row in results[0]["rows"]:
        for client in ("v3", "v4.1", "raw", "disk"):
            values = [value_of(r, first_row["id"], client) for r in results]
            present = [v for v in values if v is not None]
            if present:
                lines.append(f"| {first_row['label']} | {client}, {first_row['unit']} | "
                             + " | ".join(fmt_value(v) for v in values)
                             + f" | {fmt_value(min(present))}-{fmt_value(max(present))} |")
    for row_id, row_name in CPU_ROWS:
        for client in ("v3", "v4.1", "raw"):
            for process, what in CPU_PROCESSES:
                values = [bench_results.cpu_per_gib(r, row_id, client, process) for r in results]
                present = [v for v in values if v is not None]
                if present:
                    lines.append(f"| CPU s per GiB, {row_name}, {client} | {what} | "
                                 + " | ".join(fmt(v) for v in values)
                                 + f" | {fmt(min(present))}-{fmt(max(present))} |")
    return lines


def history_lines(results):
    """One line per run, oldest first: the ratios the targets name."""
    columns = [(row_id, name) for row_id, name, _, _ in TARGETS if row_id != "*"]
    head = ["run (commit, finished UTC)"] + [f"{row_id} {name}" for row_id, name in columns]
    head.append("lowest v4.1/v3")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for result in sorted(results, key=lambda r: r["settings"]["finished"]):
        cells = [bench_results.run_label(result)]
        cells += [fmt(bench_results.ratio(result, row_id, name)) for row_id, name in columns]
        versions = [(v, r) for r, v in rows_with(result, "*", "v4.1/v3")]
        cells.append(f"{fmt(min(versions)[0])} ({min(versions)[1]})" if versions else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv):
    reports = {"targets": 1, "spread": None, "history": None}
    if len(argv) < 3 or argv[1] not in reports or (reports[argv[1]] and len(argv) != 3):
        sys.exit(__doc__.strip().split("\n\n")[1])
    try:
        results = [bench_results.load(path) for path in argv[2:]]
    except (OSError, bench_results.ResultError) as error:
        sys.exit(f"bench_report.py: {error}")
    if argv[1] == "targets":
        lines = ["Issue 16's targets:", ""] + target_lines(results[0])
        lines += ["", "CPU seconds per GiB moved (user + system):", ""] + cpu_lines(results[0])
    elif argv[1] == "spread":
        lines = [f"{len(results)} runs: " + ", ".join(
            run_name(i, r) for i, r in enumerate(results, 1)), ""]
        lines += spread_lines(results)
    else:
        lines = history_lines(results)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv)
