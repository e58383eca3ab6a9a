#!/usr/bin/python3
"""Checks of the result tools of io_bench.sh (bench_results.py, bench_report.py,
plot_ratios.py) on testdata/sample_results.tsv: no server, no mount, a second or two.

The sample holds the table of commit f2eaa20 in docs/BENCHMARKS.md as io_bench.sh's
tab-separated lines, with made-up CPU times (4 GiB each). ctest runs it (label bench-tools).
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_report  # noqa: E402
import bench_results  # noqa: E402
import plot_ratios  # noqa: E402

SAMPLE = os.path.join(HERE, "testdata", "sample_results.tsv")
SVG = "{http://www.w3.org/2000/svg}"


def sample():
    with open(SAMPLE, encoding="utf-8") as file:
        return bench_results.from_tsv(file)


def another_run(result, finished, row_id, name, value):
    """A copy of RESULT that finished at FINISHED, with ratio NAME of row ROW_ID set to VALUE."""
    copy = json.loads(json.dumps(result))
    copy["settings"]["finished"] = finished
    bench_results.row(copy, row_id)["ratios"][name] = value
    return copy


class FromTsv(unittest.TestCase):
    def test_values_ratios_and_runs(self):
        result = sample()
        self.assertEqual(result["schema"], bench_results.SCHEMA)
        self.assertEqual(result["settings"]["commit"], "f2eaa20")
        self.assertEqual(result["settings"]["BENCH_SIZE_MIB"], 1024)
        self.assertEqual([r["id"] for r in result["rows"]][:3], ["seq_write", "read_cold",
                                                                  "read_warm"])
        cold = bench_results.row(result, "read_cold")
        self.assertEqual(cold["values"], {"v3": 743.1, "v4.1": 860.5, "raw": 1277.1,
                                          "disk": 1156.1})
        self.assertEqual(cold["runs"]["v3"], [544, 955, 927, 705])
        self.assertEqual(bench_results.ratio(result, "read_cold", "v3/raw"), 0.58)
        untar = bench_results.row(result, "untar")
        self.assertTrue(untar["lower_is_better"])
        self.assertIsNone(untar["values"]["raw"])  # n/a
        self.assertIsNone(untar["ratios"]["v3/raw"])
        self.assertEqual(untar["ratios"]["v3/disk"], 0.05)

    def test_cpu_per_gib(self):
        result = sample()
        self.assertEqual(bench_results.cpu_per_gib(result, "read_cold", "v3", "client"), 2.4)
        self.assertEqual(bench_results.cpu_per_gib(result, "read_cold", "raw", "server"), 2.0)
        self.assertIsNone(bench_results.cpu_per_gib(result, "read_cold", "raw", "app"))

    def test_bad_lines_are_refused(self):
        for lines in (["value\tread_cold\tv3\t1.0"],  # a row before its row line
                      ["row\tx\tMB/s\tx", "value\tx\tv5\t1"],  # unknown client
                      ["row\tx\tMB/s\tx", "value\tx\tv3\tfast"],  # not a number
                      ["bogus\t1"],
                      ["setting\tcommit\tabc"]):  # no finished time
            with self.subTest(lines=lines), self.assertRaises(bench_results.ResultError):
                bench_results.from_tsv(lines)


class Reports(unittest.TestCase):
    def test_targets(self):
        lines = bench_report.target_lines(sample())
        self.assertIn("| cold sequential read, v3 >= 0.9x raw libnfs | 0.58 | no |", lines)
        self.assertIn("| sequential write, v4.1 >= 0.9x raw libnfs | 1.10 | yes |", lines)
        self.assertIn("| v4.1 >= 0.95x v3 on every row | lowest 0.55 (create) | no |", lines)
        self.assertIn("| untar, v3 within 10x of the local disk | 0.05 | no |", lines)
        cpu = bench_report.cpu_lines(sample())
        self.assertIn("| cold read | nfsfuse or raw_libnfs_bench | 2.40 | 2.60 | 0.80 |  |", cpu)
        self.assertIn("| sequential write | dd (the application) | 0.50 | 0.50 |  | 1.00 |", cpu)

    def test_spread_over_runs(self):
        first = sample()
        second = another_run(first, "2026-12-03T07:50:00Z", "read_cold", "v3/raw", 0.74)
        lines = bench_report.spread_lines([first, second])
        self.assertIn("| sequential read, cold | v3/raw | 0.58 | 0.74 | 0.58-0.74 |", lines)
        self.assertIn("| sequential read, cold | v4.1/raw | 0.67 | 0.67 | 0.67-0.67 |", lines)
        self.assertIn("| untar /usr/include (9065 entries) + syncfs | v3/disk | 0.05 | 0.05 | "
                      "0.05-0.05 |", lines)
        self.assertFalse([line for line in lines
                          if line.startswith("| sequential read, cold | v3/disk")])
        self.assertIn("| sequential read, cold | v3, MB/s | 743.1 | 743.1 | 743.1-743.1 |", lines)
        self.assertIn("| stat each | raw, files/s | 3549 | 3549 | 3549-3549 |", lines)

    def test_history_is_oldest_first(self):
        newer = another_run(sample(), "2026-12-04T08:00:00Z", "read_cold", "v3/raw", 0.95)
        newer["settings"]["commit"] = "abc1234"
        lines = bench_report.history_lines([newer, sample()])
        self.assertTrue(lines[2].startswith("| f2eaa20 2026-12-02 07:50 | 0.58 |"), lines[2])
        self.assertTrue(lines[3].startswith("| abc1234 2026-12-04 08:00 | 0.95 |"), lines[3])


class Plots(unittest.TestCase):
    def bars(self, document):
        root = ElementTree.fromstring(document)
        return {rect.find(SVG + "title").text for rect in root.iter(SVG + "rect")
                if rect.find(SVG + "title") is not None}, root

    def test_ratio_bars_and_target_lines(self):
        titles, root = self.bars(plot_ratios.ratios_svg([sample()]))
        self.assertIn("read_cold v3/raw: 0.58", titles)
        self.assertIn("rand4 v4.1/raw: 0.62", titles)
        self.assertIn("untar v4.1/v3: 0.61", titles)
        self.assertNotIn("untar v3/raw: 0.58", titles)  # raw has no untar
        # 9 workloads x 2 versions against raw, 10 rows of v4.1/v3.
        self.assertEqual(len(titles), 28)
        texts = [t.text for t in root.iter(SVG + "text")]
        self.assertIn("0.9x target", texts)
        self.assertIn("0.95x target", texts)
        # One run: no min-max lines, no dots.
        self.assertEqual(len(list(root.iter(SVG + "circle"))), 0)

    def test_min_max_over_several_runs(self):
        first = sample()
        second = another_run(first, "2026-12-03T07:50:00Z", "read_cold", "v3/raw", 0.74)
        titles, root = self.bars(plot_ratios.ratios_svg([first, second]))
        self.assertIn("read_cold v3/raw: 0.58", titles)  # the bar is the first run's
        self.assertEqual(len(list(root.iter(SVG + "circle"))), 2 * 28)

    def test_history(self):
        second = another_run(sample(), "2026-12-03T07:50:00Z", "read_cold", "v3/raw", 0.74)
        root = ElementTree.fromstring(plot_ratios.history_svg([second, sample()]))
        lines = list(root.iter(SVG + "polyline"))
        self.assertEqual(len(lines), 8)  # the target ratios but "every row"
        texts = [t.text for t in root.iter(SVG + "text")]
        self.assertEqual([t for t in texts if t.startswith("2026-")], ["2026-12-02", "2026-12-03"])


class CommandLines(unittest.TestCase):
    """The scripts as io_bench.sh and io_bench_repeat.sh call them."""

    def run_tool(self, *args):
        return subprocess.run([sys.executable, *args], check=True, capture_output=True,
                              text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})

    def test_tsv_to_json_to_reports_and_svg(self):
        with tempfile.TemporaryDirectory() as scratch:
            json_path = os.path.join(scratch, "run.json")
            made = self.run_tool(os.path.join(HERE, "bench_results.py"), "from-tsv", SAMPLE)
            with open(json_path, "w", encoding="utf-8") as file:
                file.write(made.stdout)
            self.assertEqual(bench_results.load(json_path)["settings"]["commit"], "f2eaa20")
            targets = self.run_tool(os.path.join(HERE, "bench_report.py"), "targets", json_path)
            self.assertIn("lowest 0.55 (create)", targets.stdout)
            for extra in ([], ["--history"]):
                svg_path = os.path.join(scratch, "plot.svg")
                self.run_tool(os.path.join(HERE, "plot_ratios.py"), *extra, "-o", svg_path,
                              json_path, json_path)
                ElementTree.parse(svg_path)  # well-formed

    def test_a_file_that_is_not_a_result_is_refused(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
            json.dump({"rows": []}, file)
            file.flush()
            failed = subprocess.run([sys.executable, os.path.join(HERE, "bench_report.py"),
                                     "targets", file.name], capture_output=True, text=True)
            self.assertNotEqual(failed.returncode, 0)
            self.assertIn("not an io_bench result", failed.stderr)


if __name__ == "__main__":
    unittest.main()
