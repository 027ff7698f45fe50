#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise scripts/ab.sh's VM log: per run and variant, the median over
rounds of PEL's ops/s, MiB/s, p50, p99, its ratios to each baseline, and
PEL_IOC_ENTER/s.  Usage: scripts/ab-summary.py LOG"""
import re
import statistics
import sys
from collections import defaultdict, OrderedDict

runs = OrderedDict()
variants = []
cur = None
hdr = re.compile(r'^### (\S+) r(\d+): (.*)$')
for line in open(sys.argv[1], errors='replace'):
    line = line.rstrip('\n')
    m = hdr.match(line)
    if m:
        v, _, run = m.groups()
        if v not in variants:
            variants.append(v)
        runs.setdefault(run, defaultdict(lambda: defaultdict(list)))
        cur = runs[run][v]
        continue
    if cur is None:
        continue
    f = line.split()
    m = re.match(r'^pel( \(\w+\))?\s+total\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)', line)
    if m:
        cur['ops/s'].append(float(m.group(2)))
        cur['MiB/s'].append(float(m.group(3)))
        cur['p50'].append(float(m.group(4)))
        cur['p99'].append(float(m.group(5)))
    m = re.match(r'^pel / (.*): throughput ([0-9.]+)x', line)
    if m:
        cur['/ ' + m.group(1)].append(float(m.group(2)))
    m = re.match(r'^(memcpy, 1 thread|pthread pool x\d+|io_uring|ISA-L crc32c.*?|naive .*?|crc32c.*?)\s+total\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)', line)
    if m:
        cur['base ' + m.group(1) + ' ops/s'].append(float(m.group(2)))
        cur['base ' + m.group(1) + ' MiB/s'].append(float(m.group(3)))
        cur['base ' + m.group(1) + ' p50'].append(float(m.group(4)))
    m = re.search(r'pel system calls: (\d+) PEL_IOC_ENTER \((\d+)/s\), (\d+) SQEs run', line)
    if m:
        cur['ENTER/s'].append(float(m.group(2)))
        cur['helped'].append(float(m.group(3)))

def med(xs):
    return statistics.median(xs) if xs else None

for run, per in runs.items():
    keys = []
    for v in variants:
        for k in per[v]:
            if k not in keys:
                keys.append(k)
    print('\n%s' % run)
    print('| variant | ' + ' | '.join(keys) + ' |')
    print('|---' * (len(keys) + 1) + '|')
    for v in variants:
        cells = []
        for k in keys:
            x = med(per[v].get(k, []))
            cells.append('-' if x is None else ('%.2f' % x if x < 10 else '%.0f' % x))
        print('| %s | %s |' % (v, ' | '.join(cells)))
