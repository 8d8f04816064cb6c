# SPDX-License-Identifier: Apache-2.0
"""Collects findings; every check reports here so one run lists them all."""
import sys


class Report:
    def __init__(self):
        self.errors = []
        self.counts = {}

    def error(self, where, msg):
        self.errors.append("%s: %s" % (where, msg))

    def count(self, what, n=1):
        self.counts[what] = self.counts.get(what, 0) + n

    def finish(self, name):
        for e in self.errors:
            print("error: " + e, file=sys.stderr)
        figures = " ".join("%s=%d" % kv for kv in sorted(self.counts.items()))
        print("%s: %s errors=%d" % (name, figures, len(self.errors)))
        return 1 if self.errors else 0
