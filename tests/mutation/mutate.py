#!/usr/bin/env python3
"""Mutation check: does the suite fail when a promise breaks?

Applies each mutant of mutants.ini (a one-line change to production code) to a scratch copy of
the repository, rebuilds only the targets it names, runs only the tests it names, and prints a
table: mutant, the test that killed it, or SURVIVED. The working tree is never touched: the copy
lives in MUTATE_DIR (default /var/tmp/lockstep-mutate) and is kept between runs, so only the
first run builds everything.

    tests/mutation/run.sh [--list | --build-only] [NAME...]

Exit status: 0 every mutant killed; 1 a mutant survived, or did not build, or the unmutated
baseline failed; 2 a mutant's fragment is not found exactly once (the code moved: update
mutants.ini)."""
import configparser
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

# What a mutant must never change, whatever it does (a mutant of a symlink or path check once
# let a test write through a symlink to /etc/passwd): every test but the cluster's runs in a
# mount namespace of its own in which these are read-only. Writes to /tmp, /var/tmp (the scratch
# copy), /dev/shm and /proc still work; so do reads and writes of device nodes (a read-only
# mount refuses only changes to the nodes themselves, such as ACLs).
PROTECTED = ["/etc", "/usr", "/dev", "/boot", "/root", "/home", "/srv", "/opt", "/var/lib",
             "/var/spool", "/var/log", "/run"]
MARKER = ".lockstep-mutate"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRATCH = os.environ.get("MUTATE_DIR", "/var/tmp/lockstep-mutate")
SRC = os.path.join(SCRATCH, "src")
BUILD = os.path.join(SCRATCH, "build")
JOBS = os.environ.get("MUTATE_JOBS", "2")


def log(text):
    print(text, flush=True)


def check_scratch():
    """The scratch copy is emptied of stray files on every run: it must be a directory of its
    own, made by this script (its marker file), never a system directory someone named."""
    real = os.path.realpath(SCRATCH)
    if not os.path.isabs(SCRATCH) or real != os.path.abspath(SCRATCH):
        sys.exit(f"MUTATE_DIR={SCRATCH}: must be an absolute path with no symlink in it")
    if not real.startswith(("/var/tmp/", "/tmp/")) and not os.environ.get("MUTATE_DIR_ANYWHERE"):
        sys.exit(f"MUTATE_DIR={SCRATCH}: must be under /var/tmp or /tmp "
                 "(set MUTATE_DIR_ANYWHERE=1 to allow another place)")
    if os.path.exists(real) and os.listdir(real) and not os.path.exists(os.path.join(real, MARKER)):
        sys.exit(f"MUTATE_DIR={SCRATCH} exists, is not empty and was not made by this script")
    os.makedirs(real, exist_ok=True)
    open(os.path.join(real, MARKER), "a").close()


def sandboxed(command):
    """The command in a new mount namespace where PROTECTED are read-only (see above)."""
    script = ('set -e; mount --make-rprivate /; for d in "$@"; do [ -d "$d" ] || continue; '
              'mountpoint -q "$d" || mount --rbind "$d" "$d"; '
              'mount -o remount,bind,ro "$d"; done; exec ' + " ".join(map(shlex.quote, command)))
    return ["unshare", "--mount", "sh", "-c", script, "sandbox", *PROTECTED]


def load_mutants(names):
    ini = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    ini.optionxform = str
    ini.read(os.path.join(HERE, "mutants.ini"))
    mutants = []
    for name in ini.sections():
        section = ini[name]
        for key in ("file", "from", "to", "build", "tests"):
            if not section.get(key):
                sys.exit(f"mutants.ini [{name}]: no {key}")
        if section["from"] == section["to"]:
            sys.exit(f"mutants.ini [{name}]: from and to are the same")
        if "cluster" in section["tests"] and section["file"].startswith("plugin/"):
            # The cluster tests create users and daemons, so they run outside the sandbox:
            # a mutant of the root plugin's checks must be caught by sandboxed tests.
            sys.exit(f"mutants.ini [{name}]: a plugin mutant cannot be run by cluster tests")
        mutants.append(dict(name=name, file=section["file"], old=section["from"],
                            new=section["to"], build=section["build"].split(),
                            tests=section["tests"]))
    if names:
        unknown = set(names) - {m["name"] for m in mutants}
        if unknown:
            sys.exit("no such mutant: " + ", ".join(sorted(unknown)))
        mutants = [m for m in mutants if m["name"] in names]
    return mutants


def sync_copy():
    """Copies the repository's files (tracked and new, not ignored) into SRC, rewriting only those
    whose content differs, so that the scratch build recompiles only what changed."""
    listed = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], check=True, capture_output=True).stdout
    files = {f for f in listed.decode().split("\0") if f and os.path.isfile(os.path.join(REPO, f))}
    changed = 0
    for f in sorted(files):
        src, dst = os.path.join(REPO, f), os.path.join(SRC, f)
        with open(src, "rb") as a:
            data = a.read()
        if os.path.islink(dst) or (os.path.exists(dst) and not os.path.isfile(dst)):
            sys.exit(f"{dst}: not a plain file in the scratch copy; remove {SCRATCH} and rerun")
        if os.path.exists(dst):
            with open(dst, "rb") as b:
                if b.read() == data:
                    continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as b:
            b.write(data)
        shutil.copymode(src, dst)
        changed += 1
    for top, _, names in os.walk(SRC):
        for n in names:
            rel = os.path.relpath(os.path.join(top, n), SRC)
            if rel not in files:
                os.remove(os.path.join(top, n))
    return changed


def check_fragments(mutants):
    """Every fragment must occur exactly once in its file: otherwise the code moved and the
    mutant would test nothing (or the wrong line)."""
    bad = []
    for m in mutants:
        path = os.path.join(SRC, m["file"])
        text = open(path).read() if os.path.exists(path) else ""
        count = text.count(m["old"])
        if count != 1:
            bad.append(f"  [{m['name']}] {m['file']}: found {count} times: {m['old']}")
    if bad:
        log("MUTANT FRAGMENTS NOT FOUND EXACTLY ONCE (code moved? update tests/mutation/mutants.ini):")
        log("\n".join(bad))
        sys.exit(2)


def build(targets):
    run = subprocess.run(["cmake", "--build", BUILD, "-j", JOBS, "--target", *targets],
                         capture_output=True, text=True)
    return run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def run_tests(regex):
    """Returns (passed, names of the failed tests, how many ran, the output)."""
    command = ["ctest", "--test-dir", BUILD, "-R", regex, "--output-on-failure", "--timeout", "600"]
    if "cluster" in regex:
        # One Slurm cluster on this machine at a time (port 6817, namespaces). Not sandboxed:
        # it creates users and starts daemons (load_mutants keeps plugin mutants out of it).
        command = ["flock", "/tmp/lockstep-cluster.lock", *command]
    else:
        command = sandboxed(command)
    run = subprocess.run(command, capture_output=True, text=True)
    out = run.stdout + run.stderr
    section = out.split("The following tests FAILED:", 1)
    failed = re.findall(r"^\s*\d+ - (\S+) \(", section[1], re.M) if len(section) == 2 else []
    ran = re.search(r"tests passed, \d+ tests failed out of (\d+)", out)
    return run.returncode == 0, failed, int(ran.group(1)) if ran else 0, out


class Mutation:
    """A mutant applied to its file in the scratch copy, put back on exit, Ctrl-C or SIGTERM."""

    def __init__(self, mutant):
        self.path = os.path.join(SRC, mutant["file"])
        self.mutant = mutant
        self.original = None

    def __enter__(self):
        with open(self.path) as f:
            self.original = f.read()
        with open(self.path, "w") as f:
            f.write(self.original.replace(self.mutant["old"], self.mutant["new"], 1))
        return self

    def __exit__(self, *exc):
        # Written back with a fresh time stamp: the next build recompiles it.
        with open(self.path, "w") as f:
            f.write(self.original)
        return False


def interrupted(*_):
    raise KeyboardInterrupt()


def main(argv):
    unknown = [a for a in argv if a.startswith("-") and a not in ("--list", "--build-only")]
    if unknown or "-h" in argv:
        log("\n\n".join(p.strip() for p in __doc__.split("\n\n")[2:4]))
        if unknown and unknown != ["-h"] and unknown != ["--help"]:
            log(f"mutate: unknown option {unknown[0]}")
        return 2
    names = [a for a in argv if not a.startswith("-")]
    mutants = load_mutants(names)
    if "--list" in argv:
        for m in mutants:
            log(f"{m['name']:32} {m['file']}  -> {m['tests']}")
        return 0
    # SIGTERM and SIGHUP unwind like Ctrl-C, through the Mutation's restore.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    started = time.monotonic()
    check_scratch()
    os.makedirs(SRC, exist_ok=True)
    log(f"scratch copy {SRC}: {sync_copy()} files updated")
    check_fragments(mutants)
    if not os.path.exists(os.path.join(BUILD, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", SRC, "-B", BUILD, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                       check=True, stdout=subprocess.DEVNULL)
    targets = sorted({t for m in mutants for t in m["build"]})
    log(f"building {' '.join(targets)} (unmutated)")
    ok, out = build(targets)
    if not ok:
        log(out)
        log("the unmutated copy does not build")
        return 1
    if "--build-only" in argv:
        return 0
    log("baseline: the named tests must pass unmutated (run as the mutants' are: sandboxed, or the")
    log("cluster's under its lock)")
    groups = {}
    for m in mutants:
        groups.setdefault("cluster" in m["tests"], set()).add(f"({m['tests']})")
    for _, regexes in sorted(groups.items()):
        passed, failed, ran, out = run_tests("|".join(sorted(regexes)))
        if not passed or ran == 0:
            log(out[-4000:])
            log(f"baseline failed ({', '.join(failed) or 'no test ran'}): a kill would mean nothing")
            return 1
    rows = []
    try:
        for m in mutants:
            t0 = time.monotonic()
            with Mutation(m):
                ok, out = build(m["build"])
                if not ok:
                    result = "DID NOT BUILD"
                    log(out)
                    # Kept: a table saying DID NOT BUILD is no use without the reason.
                    os.makedirs(os.path.join(SCRATCH, "logs"), exist_ok=True)
                    with open(os.path.join(SCRATCH, "logs", m["name"] + ".build.log"), "w") as f:
                        f.write(out)
                    log(f"(build output kept in {SCRATCH}/logs/{m['name']}.build.log)")
                else:
                    passed, failed, ran, out = run_tests(m["tests"])
                    if ran == 0:
                        result = "NO TEST RAN"
                    elif passed:
                        result = "SURVIVED"
                    else:
                        result = failed[0] if failed else "killed (ctest failed)"
            rows.append((m["name"], m["file"], result, time.monotonic() - t0))
            log(f"{m['name']}: {result} ({time.monotonic() - t0:.0f} s)")
    except KeyboardInterrupt:
        log("interrupted: the mutant was put back")
        return 130
    finally:
        # Leave the scratch build matching the unmutated copy.
        build(targets)
    width = max(len(r[0]) for r in rows) if rows else 6
    log("")
    log(f"| {'mutant':{width}} | file | killed by |")
    log(f"| {'-' * width} | --- | --- |")
    for name, path, result, _ in rows:
        log(f"| {name:{width}} | {path} | {result} |")
    bad = [r for r in rows if r[2] in ("SURVIVED", "DID NOT BUILD", "NO TEST RAN")]
    log(f"\n{len(rows) - len(bad)} of {len(rows)} mutants killed; "
        f"{(time.monotonic() - started) / 60:.1f} min")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
