#!/usr/bin/python3
"""SVG plots of io_bench.sh result files (BENCH_OUT), with the Python 3 standard library only.

    plot_ratios.py -o ratios.svg RESULT.json [RESULT.json...]
        nfsfuse/raw libnfs per workload for NFSv3 and NFSv4.1 (0.9x target line), and v4.1/v3
        per workload (0.95x line). The bars are the first file's run, the one quoted; with more
        files, a line from the lowest to the highest value over all of them and a dot per run.
    plot_ratios.py --history -o history.svg RESULT.json [RESULT.json...]
        the ratios of issue 16's targets across runs, oldest first (by finish time), one line per
        ratio, labelled by commit.

Ratios are on a logarithmic axis (0.5x and 2x equally far from 1x); bars start at 1x.
"""

import argparse
import math
import sys
from xml.sax.saxutils import escape

import bench_results
from bench_results import TARGETS

COLORS = {"v3": "#1f5fa8", "v4.1": "#e07b1a"}
GROUP = 72  # pixels per workload in the bar panels
# The workloads against raw libnfs (raw has no untar), in io_bench.sh's order.
RAW_ROWS = ["seq_write", "read_cold", "read_warm", "rand1", "rand4", "create", "stat", "list",
            "unlink"]
SHORT_NAMES = {"seq_write": "seq. write", "read_cold": "read cold", "read_warm": "read warm",
               "rand1": "4K rand 1j", "rand4": "4K rand 4j", "create": "create",
               "stat": "stat", "list": "list", "unlink": "delete", "untar": "untar"}


def nice_steps(low, high):
    """The 1-2-5 steps (..., 0.1, 0.2, 0.5, 1, 2, 5, ...) from the one at or below LOW to the
    one at or above HIGH."""
    steps = [m * 10.0 ** e for e in range(-4, 5) for m in (1, 2, 5)]
    first = max(i for i, step in enumerate(steps) if step <= low * 1.0001)
    last = min(i for i, step in enumerate(steps) if step >= high / 1.0001)
    return steps[first:last + 1]


class LogAxis:
    """Maps a ratio to a y coordinate, over 1-2-5 ticks around every value (and 0.5x to 2x)."""

    def __init__(self, values, top, height):
        values = [v for v in values if v is not None and v > 0] + [0.5, 2.0]
        # Some room beyond the extremes for the labels of the bars.
        self.steps = nice_steps(min(values) / 1.25, max(values) * 1.25)
        self.low, self.high = self.steps[0], self.steps[-1]
        self.top, self.height = top, height

    def y(self, value):
        span = math.log(self.high) - math.log(self.low)
        return self.top + (math.log(self.high) - math.log(value)) / span * self.height

    def ticks(self):
        return self.steps


def tick_label(value):
    return f"{value:g}x"


def text(x, y, content, anchor="start", extra="", size=12):
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-family="sans-serif" '
            f'font-size="{size}" {extra}>{escape(content)}</text>')


def line(x1, y1, x2, y2, style):
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'


def axis_and_grid(axis, left, right, title):
    parts = [text(left, axis.top - 12, title, extra='font-weight="bold"')]
    for tick in axis.ticks():
        y = axis.y(tick)
        style = 'stroke="#999"' if tick == 1 else 'stroke="#ddd"'
        parts.append(line(left, y, right, y, style))
        parts.append(text(left - 6, y + 4, tick_label(tick), anchor="end"))
    return parts


def target_line(axis, left, right, value, label):
    y = axis.y(value)
    return [line(left, y, right, y, 'stroke="#c00" stroke-dasharray="6,4"'),
            text(right + 4, y + 4, label, extra='fill="#c00"')]


def bar_panel(results, row_ids, series, target, title, top):
    """One panel of grouped bars: for each row, one bar per (label, ratio) of SERIES."""
    left, width, height = 70, GROUP * len(row_ids) + 20, 220
    right = left + width
    every_value = [bench_results.ratio(r, row_id, name)
                   for r in results for row_id in row_ids for _, name in series]
    axis = LogAxis(every_value + [target], top, height)
    parts = axis_and_grid(axis, left, right, title)
    bar_width = 44 / len(series)
    for index, row_id in enumerate(row_ids):
        group_x = left + 20 + index * GROUP
        for number, (label, name) in enumerate(series):
            x = group_x + number * bar_width
            quoted = bench_results.ratio(results[0], row_id, name)
            runs = [v for v in (bench_results.ratio(r, row_id, name) for r in results)
                    if v is not None]
            if quoted is not None:
                y0, y1 = sorted((axis.y(1), axis.y(quoted)))
                parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_width - 2:.1f}" '
                             f'height="{max(y1 - y0, 1):.1f}" fill="{COLORS[label]}">'
                             f"<title>{escape(f'{row_id} {name}: {quoted:.2f}')}</title></rect>")
                label_y = axis.y(quoted) + (-4 if quoted >= 1 else 12)
                parts.append(text(x + (bar_width - 2) / 2, label_y, f"{quoted:.2f}",
                                  anchor="middle", size=10))
            if len(results) > 1 and runs:
                middle = x + (bar_width - 2) / 2
                parts.append(line(middle, axis.y(min(runs)), middle, axis.y(max(runs)),
                                  'stroke="#000" stroke-width="1.5"'))
                for value in runs:
                    parts.append(f'<circle cx="{middle:.1f}" cy="{axis.y(value):.1f}" r="2" '
                                 'fill="#000"/>')
        parts.append(text(group_x + 22, top + height + 16, SHORT_NAMES.get(row_id, row_id),
                          anchor="middle"))
    parts += target_line(axis, left, right, target, f"{target:g}x target")
    legend_y = top + height + 34
    for number, (label, name) in enumerate(series):
        x = left + number * 130
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" '
                     f'fill="{COLORS[label]}"/>')
        parts.append(text(x + 16, legend_y, f"nfsfuse {name}"))
    return parts, right + 110, legend_y + 20


def svg(parts, width, height):
    return "\n".join(
        [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}">',
         f'<rect width="{width}" height="{height}" fill="#fff"/>'] + parts + ["</svg>", ""])


def describe(results):
    first = results[0]["settings"]
    sizes = (f"{first.get('BENCH_SIZE_MIB', 0):g} MiB, {first.get('BENCH_FILES', 0):g} files, "
             f"{first.get('BENCH_RUNTIME_S', 0):g} s random reads")
    opts = first.get("NFSFUSE_BENCH_OPTS") or "none"
    runs = f"{len(results)} runs, bars: the first" if len(results) > 1 else "one run"
    return [f"io_bench.sh, {bench_results.run_label(results[0])} UTC; {runs}",
            f"{sizes}; extra nfsfuse options: {opts}"]


def ratios_svg(results):
    parts = [text(10, 18, line_text) if i == 0 else text(10, 34, line_text)
             for i, line_text in enumerate(describe(results))]
    series = [("v3", "v3/raw"), ("v4.1", "v4.1/raw")]
    raw_rows = [row_id for row_id in RAW_ROWS if bench_results.row(results[0], row_id)]
    panel, width1, bottom = bar_panel(results, raw_rows, series, 0.9,
                                      "nfsfuse / raw libnfs (> 1: nfsfuse faster)", 70)
    parts += panel
    version_rows = [r["id"] for r in results[0]["rows"] if r["ratios"].get("v4.1/v3") is not None]
    panel, width2, bottom = bar_panel(results, version_rows, [("v4.1", "v4.1/v3")], 0.95,
                                      "nfsfuse v4.1 / nfsfuse v3 (> 1: v4.1 faster)", bottom + 40)
    parts += panel
    return svg(parts, max(width1, width2, 520), bottom + 10)


def history_svg(results):
    results = sorted(results, key=lambda r: r["settings"]["finished"])
    series = [(row_id, name, target) for row_id, name, target, _ in TARGETS if row_id != "*"]
    left, top, height = 70, 50, 300
    step = 120
    right = left + 40 + step * max(len(results) - 1, 1)
    every_value = [bench_results.ratio(r, row_id, name) for r in results
                   for row_id, name, _ in series]
    axis = LogAxis(every_value + [t for _, _, t in series], top, height)
    parts = axis_and_grid(axis, left, right, "issue 16's ratios across runs (> 1: nfsfuse faster)")
    palette = ["#1f5fa8", "#e07b1a", "#2a9d3a", "#c0392b", "#8e44ad", "#7f6000", "#17a2b8",
               "#555555"]
    for number, (row_id, name, target) in enumerate(series):
        color = palette[number % len(palette)]
        points = [(left + 20 + i * step, bench_results.ratio(r, row_id, name))
                  for i, r in enumerate(results)]
        points = [(x, axis.y(v)) for x, v in points if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                         'stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        legend_y = top + height + 64 + 16 * number
        parts.append(line(left, legend_y - 4, left + 20, legend_y - 4,
                          f'stroke="{color}" stroke-width="2"'))
        parts.append(text(left + 26, legend_y, f"{row_id} {name} (target {target:g}x)"))
    for i, result in enumerate(results):
        commit, finished = bench_results.run_label(result).split(" ", 1)
        parts.append(text(left + 20 + i * step, top + height + 16, commit, anchor="middle"))
        parts.append(text(left + 20 + i * step, top + height + 30, finished[:10],
                          anchor="middle", extra='fill="#666"'))
        size = result["settings"].get("BENCH_SIZE_MIB")  # runs of other sizes compare badly
        parts.append(text(left + 20 + i * step, top + height + 44,
                          f"{size:g} MiB" if size else "", anchor="middle", extra='fill="#666"'))
    parts += target_line(axis, left, right, 0.9, "0.9x")
    parts += target_line(axis, left, right, 0.1, "0.1x (untar/disk)") if axis.low <= 0.1 else []
    return svg(parts, max(right + 140, 640), top + height + 74 + 16 * len(series))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--history", action="store_true", help="the ratios across runs")
    parser.add_argument("-o", "--output", required=True, help="the SVG file to write")
    parser.add_argument("results", nargs="+", help="io_bench.sh result files (BENCH_OUT)")
    args = parser.parse_args(argv[1:])
    try:
        results = [bench_results.load(path) for path in args.results]
    except (OSError, bench_results.ResultError) as error:
        sys.exit(f"plot_ratios.py: {error}")
    document = history_svg(results) if args.history else ratios_svg(results)
    with open(args.output, "w", encoding="utf-8") as file:
        file.write(document)


if __name__ == "__main__":
    main(sys.argv)
