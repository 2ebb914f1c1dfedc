#!/usr/bin/env python3
"""One line naming every test ctest skipped and why, from its --output-junit files.

    skip-summary.py JUNIT.xml...

The reason is the first line of the test's output that says why (a shell test's "SKIP: ..." or
"SKIPPED: ...", a Boost.Test precondition's "SKIPPED suite/case: ..."); tests with the same
reason are grouped. Missing files are ignored (a run that stopped early wrote none)."""
import os
import re
import sys
import xml.etree.ElementTree as ET

REASON = re.compile(
    r"(?:SKIPPED:|SKIP:|SKIPPED [\w./-]+:)\s*(.*)", re.I)


def reason_of(output):
    for line in (output or "").splitlines():
        match = REASON.search(line)
        if match and match.group(1).strip():
            return match.group(1).strip()
    return "no reason given (a bug in the test: it must say why)"


def main(paths):
    by_reason = {}
    for path in paths:
        if not os.path.exists(path):
            continue
        build = os.path.basename(os.path.dirname(os.path.abspath(path)))
        for case in ET.parse(path).getroot().iter("testcase"):
            if case.find("skipped") is None:
                continue
            name = case.get("name") if build == "build" else f"{case.get('name')} ({build})"
            by_reason.setdefault(reason_of(case.findtext("system-out")), []).append(name)
    if not by_reason:
        print("skipped: nothing")
        return
    parts = [f"{', '.join(names)}: {reason}" for reason, names in sorted(by_reason.items())]
    count = sum(len(names) for names in by_reason.values())
    print(f"skipped ({count}): " + "; ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1:])
