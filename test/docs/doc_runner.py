#!/usr/bin/env python3
"""The docs test: runs the commands that README.md and docs/*.md quote and checks their output.

Marking a block
    An HTML comment on the line right before a fenced code block marks the block as tested:

    <!-- doctest -->                    a console transcript: every line starting with "$ " is a command
    ```console                          (a command line ending in "\\" continues on the next line), the
    $ build/trainvp run scenarios/hello.yaml --quiet
    Hello from TrainVP: RV32 firmware running on the virtual platform.
    ```                                 lines after it, up to the next "$ ", are its expected output

    <!-- doctest: cmd="build/trainvp run scenarios/lenet-mnist.yaml" stream=stderr -->
    ```                                 the block is part of the output of cmd
    trainvp: training summary
    ...
    ```

    Attributes (shell-quoted): cmd=COMMAND, stream=both|stdout|stderr (default both: stdout and stderr
    merged as a terminal shows them), exit=N (the expected exit status of cmd), timeout=SECONDS (default
    300). A command of a transcript expects exit status 0 unless its output ends with the line "[exit N]".

Matching
    Expected lines are compared with the actual lines exactly, after removing trailing spaces, with two
    exceptions: a line "..." alone (indented or not) stands for any run of lines (none included), and
    "…" inside a line stands for any text (wall-clock figures: "wall time … s"). Lines not separated by
    "..." must follow each other in the output. A transcript shows a command's whole output: its first
    expected line is the first line printed and its last the last, unless the block starts or ends with
    "...". A cmd= block is an excerpt: it may start and end anywhere in the output. Numbers are never
    fuzzy.

Running
    Each command runs with bash -c, stdin from /dev/null, in a scratch copy of the repository (the files
    git knows, `build` -> the build directory, and `data/` with links to the repository's data files), so
    `build/trainvp` and `scenarios/...` work as written and outputs (report.json, final-weights.bin,
    files a doc creates) stay in the scratch copy. Shell state does not carry over between commands,
    files do. `trainvp` on PATH is the build's. A command runs once per doc file: blocks that show other
    parts of its output (same command text and stream) reuse the first run. Blocks run in document order.

    A transcript (a block with "$ " lines) that is not tested needs a comment on the line before it
    saying why (anything but doctest, e.g. <!-- not run by the docs test: needs two terminals -->);
    --audit reports unmarked ones.

Usage
    doc_runner.py --root REPO --build BUILD --work DIR DOC.md...   run the tested blocks of each doc
    doc_runner.py --root REPO --audit DOC.md...                    only check the markers, run nothing
Exit status 0 when every block passes, 1 on a failure or when a doc has no tested block, 2 on bad usage.
"""

import argparse
import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

MARKER = re.compile(r"^\s*<!--\s*doctest(?:\s*:\s*(.*?))?\s*-->\s*$")
COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
EXIT_LINE = re.compile(r"^\[exit (\d+)\]$")
ELLIPSIS = "..."
WILDCARD = "\u2026"
STREAMS = ("both", "stdout", "stderr")
DEFAULT_TIMEOUT_S = 300
SHOWN_OUTPUT_LINES = 120


class DocError(Exception):
    """A malformed tested block: the doc, not the program, is wrong."""


class Block:
    """One fenced block of a doc, with the marker comment before it (or None)."""

    def __init__(self, doc, line, marker, comment, lines, line_numbers):
        self.doc = doc
        self.line = line  # 1-based line of the opening fence
        self.marker = marker  # attribute text of <!-- doctest: ... -->, "" for <!-- doctest -->, None
        self.comment = comment  # any other comment right before the fence
        self.lines = lines  # content, indentation of the fence removed
        self.line_numbers = line_numbers  # 1-based doc line of each content line

    def where(self, i=None):
        return "%s:%d" % (self.doc, self.line if i is None else self.line_numbers[i])


class Check:
    """A command and what one block expects of it."""

    def __init__(self, block, command, expected, expected_lines, exit_status, stream, timeout, anchored):
        self.block = block
        self.command = command
        self.expected = expected  # expected output lines
        self.expected_lines = expected_lines  # doc line of each expected line
        self.exit_status = exit_status
        self.stream = stream
        self.timeout = timeout
        self.anchored = anchored  # a transcript: the output must start and end where the block does


def parse_blocks(doc, text):
    """The fenced blocks of a doc, and the problems of markers that precede no block."""
    blocks, strays = [], []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            if MARKER.match(lines[i]) and not (i + 1 < len(lines) and FENCE.match(lines[i + 1])):
                strays.append("%s:%d: a doctest marker must be on the line right before a fenced block"
                              % (doc, i + 1))
            i += 1
            continue
        indent, fence = len(m.group(1)), m.group(2)
        prev = lines[i - 1] if i > 0 else ""
        mm = MARKER.match(prev)
        marker = (mm.group(1) or "") if mm else None
        comment = prev.strip() if (not mm and COMMENT.match(prev)) else None
        start = i
        body, numbers = [], []
        i += 1
        while i < len(lines):
            close = FENCE.match(lines[i])
            if close and close.group(2)[0] == fence[0] and len(close.group(2)) >= len(fence) \
                    and not close.group(3).strip():
                break
            raw = lines[i]
            strip = min(indent, len(raw) - len(raw.lstrip(" ")))
            body.append(raw[strip:].rstrip())
            numbers.append(i + 1)
            i += 1
        blocks.append(Block(doc, start + 1, marker, comment, body, numbers))
        i += 1
    return blocks, strays


def is_transcript(block):
    return any(line.startswith("$ ") for line in block.lines)


def parse_attributes(block):
    attrs = {}
    try:
        words = shlex.split(block.marker)
    except ValueError as e:
        raise DocError("%s: doctest marker: %s" % (block.where(), e))
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or key not in ("cmd", "stream", "exit", "timeout"):
            raise DocError("%s: doctest marker: '%s' is not one of cmd=, stream=, exit=, timeout="
                           % (block.where(), word))
        attrs[key] = value
    stream = attrs.get("stream", "both")
    if stream not in STREAMS:
        raise DocError("%s: doctest marker: stream=%s is not both, stdout or stderr"
                       % (block.where(), stream))
    for key in ("exit", "timeout"):
        if key in attrs and not attrs[key].isdigit():
            raise DocError("%s: doctest marker: %s=%s is not a number" % (block.where(), key, attrs[key]))
    return attrs, stream


def strip_blank_edges(lines, numbers):
    while lines and not lines[-1]:
        lines, numbers = lines[:-1], numbers[:-1]
    return lines, numbers


def checks_of(block):
    """The checks a tested block asks for, in order."""
    attrs, stream = parse_attributes(block)
    timeout = int(attrs.get("timeout", DEFAULT_TIMEOUT_S))
    if "cmd" in attrs:
        if is_transcript(block):
            raise DocError("%s: a block with cmd= shows output only; it has a '$ ' line" % block.where())
        lines, numbers = strip_blank_edges(block.lines, block.line_numbers)
        return [Check(block, attrs["cmd"], lines, numbers, int(attrs.get("exit", 0)), stream, timeout, False)]
    if "exit" in attrs:
        raise DocError("%s: exit= goes with cmd=; a transcript writes [exit N] after the output"
                       % block.where())
    first = next((i for i, line in enumerate(block.lines) if line), None)
    if first is None or not block.lines[first].startswith("$ "):
        raise DocError("%s: a doctest block needs cmd= or must start with a '$ ' command" % block.where())
    checks = []
    i = first
    while i < len(block.lines):
        command = [block.lines[i][2:]]
        while command[-1].endswith("\\") and i + 1 < len(block.lines):
            i += 1
            command.append(block.lines[i])
        i += 1
        out, numbers = [], []
        while i < len(block.lines) and not block.lines[i].startswith("$ "):
            out.append(block.lines[i])
            numbers.append(block.line_numbers[i])
            i += 1
        out, numbers = strip_blank_edges(out, numbers)
        status = 0
        if out and EXIT_LINE.match(out[-1]):
            status = int(EXIT_LINE.match(out[-1]).group(1))
            out, numbers = strip_blank_edges(out[:-1], numbers[:-1])
        for k, line in enumerate(out):
            if EXIT_LINE.match(line):
                raise DocError("%s:%d: [exit N] must be the last line of a command's output"
                               % (block.doc, numbers[k]))
        checks.append(Check(block, "\n".join(command), out, numbers, status, stream, timeout, True))
    return checks


def line_matches(expected, actual):
    if WILDCARD not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split(WILDCARD))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def segments_of(expected):
    """Splits expected lines at "..." lines: [(first index, [lines])], and whether one opens/closes them."""
    segments, current, start = [], [], 0
    for i, line in enumerate(expected):
        if line.strip() == ELLIPSIS:
            if current:
                segments.append((start, current))
            current, start = [], i + 1
        else:
            if not current:
                start = i
            current.append(line)
    if current:
        segments.append((start, current))
    opens = bool(expected) and expected[0].strip() == ELLIPSIS
    closes = bool(expected) and expected[-1].strip() == ELLIPSIS
    return segments, opens, closes


def run_length(segment, actual, at):
    n = 0
    while n < len(segment) and at + n < len(actual) and line_matches(segment[n], actual[at + n]):
        n += 1
    return n


def nearest(line, actual, lo, hi):
    best, best_ratio = None, -1.0
    for k in range(lo, hi):
        ratio = difflib.SequenceMatcher(None, line, actual[k]).ratio()
        if ratio > best_ratio:
            best, best_ratio = k, ratio
    return best


def match(expected, actual, anchored):
    """None when actual shows expected; else (index of the first expected line not found, or None when
    the output has lines the block does not show; index of the nearest actual line or None; reason)."""
    segments, opens, closes = segments_of(expected)
    start_fixed = anchored and not opens
    end_fixed = anchored and not closes
    if not segments:
        if start_fixed and end_fixed and actual:
            return None, 0, "the block shows no output, but the command printed some"
        return None
    pos = 0
    for n, (first, segment) in enumerate(segments):
        fixed_here_start = start_fixed and n == 0
        fixed_here_end = end_fixed and n == len(segments) - 1
        free = range(pos, len(actual) - len(segment) + 1)
        if fixed_here_start:
            candidates = [0]
        elif fixed_here_end:
            candidates = [len(actual) - len(segment)] if len(actual) - len(segment) >= pos else []
        else:
            candidates = free
        best_at, best_len = None, -1
        for at in candidates:
            length = run_length(segment, actual, at)
            if length > best_len:
                best_at, best_len = at, length
            if length == len(segment):
                break
        if best_len == len(segment):
            pos = best_at + len(segment)
            if fixed_here_end and pos < len(actual):
                return None, pos, "the output goes on after the block's last line"
            continue
        if fixed_here_start or fixed_here_end:
            elsewhere = next((at for at in free if run_length(segment, actual, at) == len(segment)), None)
            if elsewhere is not None:
                if fixed_here_start and elsewhere > 0:
                    return None, 0, "the output starts with lines the block does not show"
                return None, elsewhere + len(segment), "the output goes on after the block's last line"
        if best_len > 0:
            at = best_at + best_len
            return first + best_len, (at if at < len(actual) else None), "line not found"
        near = nearest(segment[0], actual, pos, len(actual)) if pos < len(actual) else None
        return first, near, "line not found"
    if end_fixed and pos < len(actual):
        return None, pos, "the output goes on after the block's last line"
    return None


class Runner:
    def __init__(self, root, build, work):
        self.root = os.path.abspath(root)
        self.build = os.path.abspath(build)
        self.work = os.path.abspath(work)
        self.cache = {}
        self.scratch = os.path.join(self.work, "repo")

    def prepare(self):
        """The scratch copy of the repository the commands run in."""
        if os.path.exists(self.work):
            shutil.rmtree(self.work)
        os.makedirs(self.scratch)
        for rel in source_files(self.root):
            top = rel.split("/", 1)[0]
            if top in ("build", "data"):
                continue
            src = os.path.join(self.root, rel)
            if not os.path.isfile(src) and not os.path.islink(src):
                continue
            dst = os.path.join(self.scratch, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst, follow_symlinks=False)
        os.symlink(self.build, os.path.join(self.scratch, "build"))
        # The data files are links in directories of the scratch copy, so a script that replaces them
        # (scripts/fetch-mnist.sh finding a bad file) writes there, not into the repository.
        data = os.path.join(self.root, "data")
        for dirpath, _, filenames in os.walk(data):
            target = os.path.join(self.scratch, os.path.relpath(dirpath, self.root))
            os.makedirs(target, exist_ok=True)
            for name in filenames:
                os.symlink(os.path.join(dirpath, name), os.path.join(target, name))
        bindir = os.path.join(self.work, "bin")
        os.makedirs(bindir)
        os.symlink(os.path.join(self.build, "trainvp"), os.path.join(bindir, "trainvp"))
        self.env = dict(os.environ)
        self.env["PATH"] = bindir + os.pathsep + self.env.get("PATH", "")

    def run(self, command, stream, timeout):
        key = (command, stream)
        if key in self.cache:
            return self.cache[key] + (True,)
        started = time.monotonic()
        proc = subprocess.Popen(["bash", "-c", command], cwd=self.scratch, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT if stream == "both" else subprocess.PIPE,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
            status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode  # as a shell says
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            status = "timeout after %d s" % timeout
        text = out if stream != "stderr" else err
        lines = text.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
        lines = [line.rstrip() for line in lines]
        while lines and not lines[-1]:
            lines.pop()
        result = (lines, status, time.monotonic() - started)
        self.cache[key] = result
        return result + (False,)


def source_files(root):
    """The files of the checkout: git's list (tracked and untracked but not ignored), else a walk."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in (".git", "data")
                           and not os.path.exists(os.path.join(dirpath, d, "CMakeCache.txt"))]
            files += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames]
        return files


def show_command(command):
    return command if "\n" not in command else command.replace("\n", "\n      ")


def describe_failure(check, lines, status, reason, missing, near):
    block = check.block
    stream = "" if check.stream == "both" else ", %s" % check.stream
    msg = ["FAIL %s: `%s`%s: exit status %s, expected %d" % (
        block.where(), show_command(check.command), stream, status, check.exit_status)]
    if reason == "line not found":
        msg.append("  %s:%d: expected line not in the output:" % (block.doc, check.expected_lines[missing]))
        msg.append("    expected:        %s" % check.expected[missing])
        if near is not None:
            msg.append("    nearest, line %d: %s" % (near + 1, lines[near]))
        else:
            msg.append("    (the output ends before it)")
    elif reason:
        msg.append("  %s: %s:" % (block.where(), reason))
        msg.append("    actual line %d: %s" % (near + 1, lines[near]))
    msg.append("  actual output (%d lines):" % len(lines))
    shown = lines if len(lines) <= SHOWN_OUTPUT_LINES else lines[:SHOWN_OUTPUT_LINES]
    msg += ["  %4d| %s" % (k + 1, line) for k, line in enumerate(shown)]
    if len(lines) > SHOWN_OUTPUT_LINES:
        msg.append("  ... %d more lines" % (len(lines) - SHOWN_OUTPUT_LINES))
    return "\n".join(msg)


def audit(doc, blocks):
    """Transcripts that are neither tested nor say why not."""
    problems = []
    for block in blocks:
        if block.marker is None and block.comment is None and is_transcript(block):
            problems.append("%s: a transcript ('$ ' lines) with no <!-- doctest --> marker and no comment "
                            "saying why it is not tested" % block.where())
    return problems


def run_doc(runner, doc, root):
    with open(os.path.join(root, doc), encoding="utf-8") as f:
        blocks, problems = parse_blocks(doc, f.read())
    problems += audit(doc, blocks)
    for p in problems:
        print("FAIL " + p)
    checks = []
    for block in blocks:
        if block.marker is None:
            continue
        try:
            checks += checks_of(block)
        except DocError as e:
            problems.append(str(e))
            print("FAIL %s" % e)
    tested_blocks = len({id(c.block) for c in checks})
    if not checks and not problems:
        print("FAIL %s: no tested block (mark one with <!-- doctest -->, or stop registering the doc)" % doc)
        return 1
    failures = len(problems)
    for check in checks:
        lines, status, seconds, cached = runner.run(check.command, check.stream, check.timeout)
        result = match(check.expected, lines, check.anchored)
        if result is None and status == check.exit_status:
            print("ok   %s: `%s`%s" % (check.block.where(), show_command(check.command).split("\n")[0],
                                      " (output of the run above)" if cached else " (%.1f s)" % seconds))
            continue
        failures += 1
        missing, near, reason = result if result is not None else (None, None, None)
        print(describe_failure(check, lines, status, reason, missing, near))
    print("%s: %d tested blocks, %d checks, %d failed" % (doc, tested_blocks, len(checks), failures))
    return 1 if failures else 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True, help="the repository")
    parser.add_argument("--build", help="the build directory (its trainvp and firmware)")
    parser.add_argument("--work", help="scratch directory, emptied first")
    parser.add_argument("--audit", action="store_true", help="check the markers only, run nothing")
    parser.add_argument("docs", nargs="+", help="docs, relative to --root")
    args = parser.parse_args(argv)
    if args.audit:
        problems = []
        for doc in args.docs:
            with open(os.path.join(args.root, doc), encoding="utf-8") as f:
                blocks, strays = parse_blocks(doc, f.read())
            problems += strays + audit(doc, blocks)
            for block in blocks:
                if block.marker is not None:
                    try:
                        checks_of(block)
                    except DocError as e:
                        problems.append(str(e))
        for p in problems:
            print("FAIL " + p)
        print("%d docs audited, %d problems" % (len(args.docs), len(problems)))
        return 1 if problems else 0
    if not args.build or not args.work:
        parser.error("--build and --work are needed to run the blocks")
    runner = Runner(args.root, args.build, args.work)
    runner.prepare()
    status = 0
    for doc in args.docs:
        status |= run_doc(runner, doc, args.root)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
