#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""docs-check.py - the docs that must stay true, as TAP (make check-unit).

* Every source file (*.c, *.h, *.sh, *.py and executable scripts) of the
  code folders (kmod, core, scripts, userspace/*, userspace/lib/*,
  selftests/*) is named in its folder's README.md: the nearest one up
  from the file. Named means: its file name, or its path from that
  folder, as a word; for a program or a script (anything but *.h and
  *.py) also without the extension in backquotes (`info_test` for
  info_test.c); or a backquoted glob matching either (`hkdf.[ch]`,
  `tests/NN-*.sh`: NN stands for two digits). One test per README.
* Every target of the top Makefile's .PHONY is in `make help`, as
  "make TARGET". One test.
* Every cmocka test (userspace/tests/test_*.c) takes the test-name filter
  userspace/tests/README.md promises: its main() calls t_test_filter().
  One test.
* No build output is committed: no file git tracks is Python bytecode
  (*.pyc, *.pyo, anything under __pycache__/) or an object, module or
  archive (*.o, *.ko, *.a, *.so). One test.

Misses already known (a folder another change is rewriting) are listed in
KNOWN_MISSES and reported as TODO, not as failures; a listed file that is
named now is a failure, so the list only shrinks. Files are the ones git
tracks plus new untracked ones. Exit 1 on a failure.
"""
import fnmatch
import os
import re
import subprocess
import sys

KNOWN_MISSES = set()

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def code_roots():
    roots = ['kmod', 'core', 'scripts']
    for parent in ('userspace', 'userspace/lib', 'selftests'):
        for d in sorted(os.listdir(parent)):
            if os.path.isdir(os.path.join(parent, d)):
                roots.append(parent + '/' + d)
    return roots


def is_source(path):
    if path.endswith(('.c', '.h', '.sh', '.py')):
        return True
    if not os.access(path, os.X_OK):
        return False
    with open(path, 'rb') as f:
        return f.read(2) == b'#!'


def sources(roots):
    try:
        out = subprocess.run(['git', 'ls-files', '--cached', '--others',
                              '--exclude-standard', '--'] + roots,
                             capture_output=True, text=True, check=True).stdout
        files = out.split('\n')
    except (OSError, subprocess.CalledProcessError):
        files = [os.path.join(dp, f) for r in roots for dp, _, fs in os.walk(r)
                 for f in fs]
    return sorted(f for f in set(files) if f and os.path.isfile(f) and is_source(f))


def readme_of(path, roots):
    d = os.path.dirname(path)
    while True:
        if os.path.exists(d + '/README.md') or d in roots or '/' not in d:
            return d + '/README.md'
        d = os.path.dirname(d)


class Readme:
    def __init__(self, path):
        self.path = path
        self.folder = os.path.dirname(path)
        try:
            with open(path, encoding='utf-8') as f:
                self.text = f.read()
        except OSError:
            self.text = None
        quoted = re.findall(r'`([^` ]+)`', self.text or '')
        self.quoted = set(quoted)
        self.globs = [g.replace('NN', '[0-9][0-9]').replace('<name>', '*')
                      for g in quoted if re.search(r'[*?\[]', g)]

    def names(self, path):
        base = os.path.basename(path)
        rel = os.path.relpath(path, self.folder)
        for w in (base, rel):
            if re.search(r'(^|[^A-Za-z0-9_.-])' + re.escape(w) +
                         r'([^A-Za-z0-9_-]|$)', self.text, re.M):
                return True
        if not base.endswith(('.h', '.py')):
            for w in (os.path.splitext(base)[0], os.path.splitext(rel)[0]):
                if w in self.quoted:
                    return True
        return any(fnmatch.fnmatchcase(base, g) or fnmatch.fnmatchcase(rel, g)
                   for g in self.globs)


def phony_targets():
    with open('Makefile', encoding='utf-8') as f:
        text = f.read().replace('\\\n', ' ')
    targets = set()
    for m in re.finditer(r'^\.PHONY:(.*)$', text, re.M):
        targets.update(m.group(1).split())
    return sorted(targets)


def tests_without_filter():
    """userspace/tests/README.md: every cmocka binary takes a test-name
    filter, i.e. every test_*.c's main() calls t_test_filter()."""
    d = 'userspace/tests'
    missing = []
    for f in sorted(os.listdir(d)):
        if f.startswith('test_') and f.endswith('.c'):
            with open(os.path.join(d, f), encoding='utf-8') as fh:
                if 't_test_filter(argc, argv);' not in fh.read():
                    missing.append(f)
    return missing


STRAY = ('*.pyc', '*.pyo', '*/__pycache__/*', '__pycache__/*',
         '*.o', '*.ko', '*.a', '*.so', '*.so.*')


def stray_tracked():
    """Build outputs git tracks (committed or staged): bytecode, objects."""
    out = subprocess.run(['git', 'ls-files', '--cached', '-z'],
                         capture_output=True, text=True, check=True).stdout
    return sorted(f for f in out.split('\0')
                  if f and any(fnmatch.fnmatchcase(f, g) for g in STRAY))


def tap_check(n, what, bad, why):
    """TAP line @n for a check that lists what breaks it (@bad): 1 if any does."""
    if not bad:
        print('ok %d %s' % (n, what))
        return 0
    print('not ok %d %s' % (n, what))
    print('# %s: %s' % (why, ' '.join(bad)))
    return 1


def main():
    os.chdir(REPO)
    roots = code_roots()
    readmes, order = {}, []
    result = {}   # readme -> (misses, todo, stale)
    for f in sources(roots):
        r = readme_of(f, roots)
        if r not in readmes:
            readmes[r] = Readme(r)
            order.append(r)
            result[r] = ([], [], [])
        rd = readmes[r]
        named = rd.text is not None and rd.names(f)
        if named and f in KNOWN_MISSES:
            result[r][2].append(f)
        elif not named:
            result[r][1 if f in KNOWN_MISSES else 0].append(os.path.basename(f))

    print('TAP version 13')
    print('1..%d' % (len(order) + 3))
    failed = 0
    n = 0
    for r in order:
        n += 1
        misses, todo, stale = result[r]
        what = '%s names every source file of %s/' % (r, readmes[r].folder)
        if readmes[r].text is None:
            print('not ok %d %s exists (it must name: %s)' %
                  (n, r, ' '.join(misses + todo)))
            failed = 1
        elif misses or stale:
            print('not ok %d %s' % (n, what))
            if misses:
                print('# not named: ' + ' '.join(misses))
            if stale:
                print('# named now, so remove from KNOWN_MISSES: ' + ' '.join(stale))
            failed = 1
        elif todo:
            print('not ok %d %s # TODO not named yet: %s' % (n, what, ' '.join(todo)))
        else:
            print('ok %d %s' % (n, what))

    n += 1
    phony = phony_targets()
    helptext = subprocess.run(['make', '-s', '--no-print-directory', 'help'],
                              capture_output=True, text=True).stdout
    missing = [t for t in phony
               if not re.search(r'(^|[^A-Za-z0-9_-])make ' + re.escape(t) +
                                r'([^A-Za-z0-9_-]|$)', helptext, re.M)]
    if not phony:
        print('not ok %d make help lists every .PHONY target (no .PHONY found)' % n)
        failed = 1
    elif missing:
        print('not ok %d make help lists every .PHONY target' % n)
        print('# not in make help: ' + ' '.join(missing))
        failed = 1
    else:
        print('ok %d make help lists every .PHONY target (%d targets)' % (n, len(phony)))

    n += 1
    failed |= tap_check(n, 'every userspace/tests/test_*.c takes the test-name filter (t_test_filter)',
                        tests_without_filter(), 'main() does not call t_test_filter(argc, argv)')
    n += 1
    failed |= tap_check(n, 'no build output is tracked (bytecode, __pycache__/, objects)',
                        stray_tracked(), 'tracked')
    return failed


if __name__ == '__main__':
    sys.exit(main())
