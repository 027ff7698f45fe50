#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The backend comparison and the user backend's targets of `make bench`.

Reads scripts/bench.sh's raw files: raw/cN-rR.json (pelbench -S, pel.ko),
raw/user-cN-rR.json (pelbench -S -e user, the same boot) and raw/host.json
(pelbench -S -e user --subset=user-backend on the host, no VM).  Prints Markdown
(appended to bench.md) and adds "backends" and "user_targets" to bench.json.

  scripts/bench-backends.py RAWDIR BENCH_JSON >> bench.md

Kernel vs user: for every PEL run of the suite (same run names on both
backends), the figure of each backend (ops/s for NOP and depth-1 runs,
MiB/s otherwise), kernel/user formed inside each boot, then the median
(min..max) over boots; "kernel ahead" where that median is above 1.
"""
import json
import os
import re
import statistics
import sys

raw, bench_json = sys.argv[1], sys.argv[2]


def load(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError):
        return None
    return d if isinstance(d, dict) and 'runs' in d else None


def boots(prefix):
    """{cpus: {boot: json}} of raw/<prefix>cN-rR.json."""
    pat = re.compile('^' + re.escape(prefix) + r'c(\d+)-r(\d+)\.json$')
    out = {}
    for name in sorted(os.listdir(raw)):
        m = pat.match(name)
        if not m:
            continue
        d = load(os.path.join(raw, name))
        if d is not None:
            out.setdefault(int(m.group(1)), {})[int(m.group(2))] = d
    return out


def stats(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    return {'median': statistics.median(xs), 'min': xs[0], 'max': xs[-1],
            'n': len(xs)}


def fig(d, rid, key):
    """A run's median figure: ops_per_s, mib_per_s, or p50 (ns)."""
    for r in d.get('runs', []):
        if r.get('id') != rid:
            continue
        m = r.get('median')
        if not m:
            return None
        if key == 'p50':
            return (m.get('latency_ns') or {}).get('p50')
        return m.get(key)
    return None


def div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt(x, prec):
    if x is None:
        return '-'
    return '%.*f' % (prec, x)


def cell(s, prec):
    """"m (a..b)" over boots, "m" for one."""
    if s is None:
        return '-'
    if s['n'] > 1:
        return '%s (%s..%s)' % (fmt(s['median'], prec), fmt(s['min'], prec),
                                fmt(s['max'], prec))
    return fmt(s['median'], prec)


def pel_run(rid):
    return re.search(r'\.pel(_block|_fixed)?$', rid) is not None


def unit(rid):
    return 'ops/s' if rid.startswith(('nop.', 'lat.')) else 'MiB/s'


kern, user = boots(''), boots('user-')
host = load(os.path.join(raw, 'host.json'))
with open(bench_json) as f:
    bj = json.load(f)

# ---------------------------------------------------------------------------
# Kernel vs user backend, per machine, over the boots that ran both.
backends = []
for c in sorted(kern):
    pairs = sorted(set(kern[c]) & set(user.get(c, {})))
    if not pairs:
        continue
    ids = [r['id'] for r in kern[c][pairs[0]]['runs']]
    runs = []
    for rid in ids:
        if not pel_run(rid):
            continue
        key = 'ops_per_s' if unit(rid) == 'ops/s' else 'mib_per_s'
        k = [fig(kern[c][b], rid, key) for b in pairs]
        u = [fig(user[c][b], rid, key) for b in pairs]
        ratio = stats([div(x, y) for x, y in zip(k, u)])
        if ratio is None:
            verdict = 'n/a'
        elif ratio['median'] > 1:
            verdict = 'kernel ahead' + ('' if ratio['min'] > 1 else
                                        ' (not in every boot)')
        else:
            verdict = 'kernel behind' + ('' if ratio['max'] <= 1 else
                                         ' (not in every boot)')
        runs.append({'id': rid, 'unit': unit(rid), 'kernel': stats(k),
                     'user': stats(u), 'kernel_vs_user': ratio,
                     'verdict': verdict})
    # The baselines run in both suites of a boot: how far the host moved
    # between them (1.0: both suites saw the same machine).
    drift = []
    for rid in ids:
        if pel_run(rid):
            continue
        key = 'ops_per_s' if unit(rid) == 'ops/s' else 'mib_per_s'
        drift += [div(fig(kern[c][b], rid, key), fig(user[c][b], rid, key))
                  for b in pairs]
    backends.append({
        'cpus': c, 'boots': len(pairs), 'runs': runs,
        'compared': sum(1 for r in runs if r['kernel_vs_user']),
        'kernel_ahead': sum(1 for r in runs
                            if r['verdict'].startswith('kernel ahead')),
        'baselines_kernel_vs_user': stats(drift)})

# ---------------------------------------------------------------------------
# The user backend's targets: from the user suites in the VMs, and from the
# host.  A target's group is "group" (pelbench names them by what they
# measure); the raw files of older pelbenches numbered them ("issue": 13,
# 14, 15) and named the subset "issue14".
OLD_GROUPS = {13: 'fast-path', 14: 'user-backend', 15: 'file'}
OLD_SUBSETS = {'issue14': 'user-backend', 'issue15': 'file'}


def group(t):
    return t.get('group') or OLD_GROUPS.get(t.get('issue', 13), 'fast-path')

FIGS = [('User backend COPY 64 MiB, MiB/s', 'copy.64M.pel', 'mib_per_s', 1),
        ('pthread pool COPY 64 MiB, MiB/s', 'copy.64M.pthread_pool', 'mib_per_s', 1),
        ('User backend CRC32C 64 MiB, MiB/s', 'crc32c.64M.pel', 'mib_per_s', 1),
        ('pthread pool CRC32C 64 MiB, MiB/s', 'crc32c.64M.pthread_pool', 'mib_per_s', 1),
        ('User backend NOP round trip p50, us', 'lat.nop.pel', 'p50', 2),
        ('raw SPSC ring NOP round trip p50, us', 'lat.nop.spsc_ring', 'p50', 2)]


def scale(key, x):
    return None if x is None else (x / 1000 if key == 'p50' else x)


def judge(t):
    """A verdict over boots, as bench.sh judges the fast path's targets."""
    v = t['valid_value']
    if v is None:
        if t['na']:
            return 'n/a: ' + t['na']
        return 'n/a' if t['value'] is None else 'not valid on this host'
    m, g = v['median'], t['goal']
    ok = {'>=': m >= g, '<=': m <= g, '==': m == g}.get(t['cmp'], False)
    return 'met' if ok else 'missed'


def user_targets(ds):
    """The user backend's targets over a list of suite JSONs (boots)."""
    first = [t for t in ds[0].get('targets', []) if group(t) == 'user-backend']
    out = []
    for t0 in first:
        per = [t for d in ds for t in d.get('targets', [])
               if t.get('id') == t0['id']]
        valid = [t for t in per if t.get('valid', True)]
        t = {'id': t0['id'], 'what': t0['what'], 'goal': t0['goal'],
             'cmp': t0['cmp'],
             'value': stats([x.get('value') for x in per]),
             'valid_value': stats([x.get('value') for x in valid]),
             'valid_boots': len(valid), 'boots': len(per),
             'invalid': next((x['invalid'] for x in per if x.get('invalid')), None),
             'na': next((x['na'] for x in per if x.get('na')), None)}
        t['verdict'] = judge(t)
        out.append(t)
    return out


def figures(ds):
    return {rid + ('.p50_us' if key == 'p50' else '.' + key):
            stats([scale(key, fig(d, rid, key)) for d in ds])
            for _, rid, key, _ in FIGS}


machines = []
for c in sorted(user):
    ds = [user[c][b] for b in sorted(user[c])]
    machines.append({'cpus': c, 'boots': len(ds), 'targets': user_targets(ds),
                     'figures': figures(ds)})
hostpart = None
if host is not None:
    load_txt = ''
    try:
        with open(os.path.join(raw, 'host.host')) as f:
            load_txt = '; '.join(l.strip() for l in f if l.strip())
    except OSError:
        pass
    hostpart = {'cpus': host.get('cpus'), 'kernel': host.get('kernel'),
                'seconds': host.get('seconds'), 'rounds': host.get('rounds'),
                'subset': OLD_SUBSETS.get(host.get('subset'), host.get('subset')),
                'load': load_txt,
                'targets': user_targets([host]), 'figures': figures([host])}

bj['backends'] = backends
bj['user_targets'] = {'machines': machines, 'host': hostpart}
with open(bench_json, 'w') as f:
    json.dump(bj, f, indent=1)
    f.write('\n')

# ---------------------------------------------------------------------------
# Markdown.
print()
print('## Kernel vs user backend')
print()
if not backends:
    print('No boot ran the suite on both backends (raw/user-cN-rR.json '
          'beside raw/cN-rR.json).')
else:
    print('In each boot the suite ran on both backends, `pelbench -S` (pel.ko) '
          'and `pelbench -S -e user`')
    print("(liblpel's user backend), one after the other, the first alternating "
          'from boot to boot;')
    print('the same runs, by the same names. A figure is the median over boots '
          'of each suite\'s median; kernel/user')
    print('is formed inside each boot, "a (b..c)" its median over boots and '
          'range. NOP and depth-1 runs in ops/s,')
    print('the others in MiB/s. Kernel ahead: kernel/user above 1 ("not in '
          'every boot": the range crosses 1).')
for b in backends:
    print()
    print('### %d vCPUs (%d boot%s)' % (b['cpus'], b['boots'],
                                        '' if b['boots'] == 1 else 's'))
    print()
    print('| run | unit | kernel | user | kernel/user | verdict |')
    print('|---|---|---:|---:|---:|---|')
    for r in b['runs']:
        prec = 0 if r['unit'] == 'ops/s' else 1
        k, u = r['kernel'], r['user']
        print('| %s | %s | %s | %s | %s | %s |' % (
            r['id'], r['unit'], fmt(k and k['median'], prec),
            fmt(u and u['median'], prec), cell(r['kernel_vs_user'], 2),
            r['verdict']))
    print()
    print('Kernel ahead on %d of %d runs. The baselines, which run in both '
          'suites of a boot, kernel suite / user suite: %s'
          ' over all baseline runs and boots (1: both suites saw the same '
          'machine).' % (b['kernel_ahead'], b['compared'],
                         cell(b['baselines_kernel_vs_user'], 2)))

print()
print("## Targets: the user backend")
print()
cols = ['%d vCPUs' % m['cpus'] for m in machines]
if hostpart:
    cols.append('host (%s CPUs)' % hostpart['cpus'])
if not cols:
    print('No user-backend results (raw/user-cN-rR.json, raw/host.json).')
    sys.exit(0)
print('In the VMs from the user-backend suites (`pelbench -S -e user`), median '
      '(range) over boots; on the host')
print('from `pelbench -S -e user --subset=user-backend` (no VM, no pel.ko). The NOP '
      'round trip is the p50 at depth 1,')
print('batch 1, polled (`lat.nop.pel`, `lat.nop.spsc_ring`); it counts only '
      'where the SPSC ring was not starved')
print('(its p50 under 50 us).')
print()
print('| target | goal | ' + ' | '.join(cols) + ' |')
print('|---|---|' + '|'.join('---' for _ in cols) + '|')
parts = machines + ([hostpart] if hostpart else [])
ref = next((p['targets'] for p in parts if p['targets']), [])
for t0 in ref:
    row = []
    for p in parts:
        t = next((x for x in p['targets'] if x['id'] == t0['id']), None)
        if t is None:
            row.append('-')
        elif t['valid_value'] is None or t['valid_boots'] == t['boots']:
            row.append('%s %s' % (cell(t['valid_value'] or t['value'], 2),
                                  t['verdict']))
        else:
            row.append('%s %s (valid in %d/%d boots; all: %s)' % (
                cell(t['valid_value'], 2), t['verdict'], t['valid_boots'],
                t['boots'], cell(t['value'], 2)))
    print('| %s | %s %s | %s |' % (t0['what'], t0['cmp'], t0['goal'],
                                   ' | '.join(row)))
if not ref:
    print('| (no user-backend targets in these results: a pelbench older than '
          'them) | | ' + ' | '.join('-' for _ in cols) + ' |')
print()
print('| figure | ' + ' | '.join(cols) + ' |')
print('|---|' + '|'.join('---:' for _ in cols) + '|')
for name, rid, key, prec in FIGS:
    k = rid + ('.p50_us' if key == 'p50' else '.' + key)
    print('| %s | %s |' % (name, ' | '.join(cell(p['figures'][k], prec)
                                            for p in parts)))
if hostpart:
    print()
    print('Host part: %s s per run, rounds: %s, kernel %s%s.' % (
        hostpart['seconds'], hostpart['rounds'], hostpart['kernel'],
        '; ' + hostpart['load'] if hostpart['load'] else ''))
