#!/usr/bin/env python3
"""Checks that ctest runs the integration suite as tests/integration/CMakeLists.txt means it to.

gtest_discover_tests flattens list-valued PROPERTIES (CMake 3.25): a FIXTURES_REQUIRED or an
ENVIRONMENT of two values once turned into unrelated properties, silently, and the "nfs3/" run
spoke NFSv4.1 while no test ran over FUSE io_uring. This reads what ctest really has
(`ctest --show-only=json-v1`) and fails on any test that would not run the way its name says.

usage: check_ctest_wiring.py BUILD_DIR
"""
import json
import subprocess
import sys

FIXTURE = "integration_host"


def properties(test):
    return {p["name"]: p["value"] for p in test.get("properties", [])}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    listing = subprocess.run(
        ["ctest", "--test-dir", sys.argv[1], "--show-only=json-v1"],
        check=True, capture_output=True, text=True).stdout
    tests = json.loads(listing)["tests"]
    problems = []
    setups = {name for t in tests
              for name in [t["name"]] if FIXTURE in properties(t).get("FIXTURES_SETUP", [])}
    for needed in ("ganesha_preflight", "fuse_uring_enable"):
        if needed not in setups:
            problems.append(f"{needed} does not set up the {FIXTURE} fixture")
    suite = 0
    for test in tests:
        command = test.get("command") or []
        if not command or not command[0].endswith("nfsfuse_integration_tests"):
            continue
        suite += 1
        name = test["name"]
        props = properties(test)
        if FIXTURE not in props.get("FIXTURES_REQUIRED", []):
            problems.append(f"{name}: does not require the {FIXTURE} fixture")
        if name.startswith("FuseTransportSerialTest."):
            expected = []
        elif name.startswith("nfs3/"):
            expected = ["--nfs-version=3", "--fuse-transport=dev_fuse"]
        else:
            expected = ["--fuse-transport=io_uring"]
        for argument in expected:
            if argument not in command:
                problems.append(f"{name}: runs without {argument}")
    if suite == 0:
        problems.append("no test runs nfsfuse_integration_tests")
    for problem in problems[:20]:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(f"{len(problems)} problems in the ctest wiring of {suite} integration tests")
    print(f"{suite} integration tests wired as meant")


if __name__ == "__main__":
    main()
