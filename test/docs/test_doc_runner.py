#!/usr/bin/env python3
"""Tests of the docs test itself (doc_runner.py): the block syntax, the matching rules, and that a doc
with a stale number fails with a message naming the doc line, the expected line and the nearest actual
one. The commands are printf/echo, so no build is needed."""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_runner as dr  # noqa: E402

TICKS = "```"


def doc(*lines):
    return "\n".join(lines) + "\n"


class Parsing(unittest.TestCase):
    def test_transcript_commands_output_and_exit(self):
        text = doc("# t", "", "<!-- doctest -->", TICKS + "console",
                   "$ printf 'a\\nb\\n'", "a", "b", "$ false \\", "    --flag", "[exit 1]", "$ true", TICKS)
        [block], _ = dr.parse_blocks("t.md", text)
        self.assertEqual(block.line, 4)
        self.assertEqual(block.marker, "")
        checks = dr.checks_of(block)
        self.assertEqual([c.command for c in checks], ["printf 'a\\nb\\n'", "false \\\n    --flag", "true"])
        self.assertEqual(checks[0].expected, ["a", "b"])
        self.assertEqual(checks[0].expected_lines, [6, 7])
        self.assertEqual([c.exit_status for c in checks], [0, 1, 0])
        self.assertEqual(checks[2].expected, [])
        self.assertTrue(all(c.anchored for c in checks))

    def test_cmd_block_in_a_list_item(self):
        text = doc("- item", "  <!-- doctest: cmd=\"echo 'x  y'\" stream=stderr exit=3 timeout=9 -->",
                   "  " + TICKS, "  x", "    y", "  " + TICKS)
        [block], _ = dr.parse_blocks("t.md", text)
        [check] = dr.checks_of(block)
        self.assertEqual(check.command, "echo 'x  y'")
        self.assertEqual((check.stream, check.exit_status, check.timeout, check.anchored),
                         ("stderr", 3, 9, False))
        self.assertEqual(check.expected, ["x", "  y"])

    def test_malformed_markers_are_doc_errors(self):
        for marker, content in [("<!-- doctest: cmd=x colour=red -->", ["x"]),
                                ("<!-- doctest: stream=both2 cmd=x -->", ["x"]),
                                ("<!-- doctest: cmd=x exit=two -->", ["x"]),
                                ("<!-- doctest -->", ["no command here"]),
                                ("<!-- doctest: exit=1 -->", ["$ false"]),
                                ("<!-- doctest -->", ["$ echo", "[exit 2]", "more"])]:
            [block], _ = dr.parse_blocks("t.md", doc(marker, TICKS, *content, TICKS))
            with self.assertRaises(dr.DocError, msg=marker):
                dr.checks_of(block)

    def test_audit_wants_a_reason_for_untested_transcripts(self):
        text = doc(TICKS, "$ echo a", "a", TICKS, "", "<!-- needs two terminals -->", TICKS, "$ echo b",
                   TICKS, "", TICKS, "plain text", TICKS)
        problems = dr.audit("t.md", dr.parse_blocks("t.md", text)[0])
        self.assertEqual(len(problems), 1)
        self.assertIn("t.md:1:", problems[0])


    def test_a_marker_away_from_its_block_is_an_error(self):
        text = doc("<!-- doctest -->", "", TICKS, "$ true", TICKS, TICKS, "<!-- doctest -->", TICKS)
        blocks, strays = dr.parse_blocks("t.md", text)
        self.assertEqual(len(strays), 1)
        self.assertIn("t.md:1:", strays[0])
        self.assertEqual(blocks[0].marker, None)  # a marker inside a block is text


class Matching(unittest.TestCase):
    def test_exact_after_trailing_spaces(self):
        self.assertIsNone(dr.match(["a", "b"], ["a", "b"], True))
        self.assertIsNotNone(dr.match(["a", "b"], ["a", "b2"], True))
        self.assertIsNotNone(dr.match(["12"], ["13"], False))

    def test_wildcard_inside_a_line(self):
        self.assertIsNone(dr.match(["wall \u2026 s: \u2026 MIPS"], ["wall 2.5 s: 3.1 MIPS"], True))
        self.assertIsNone(dr.match(["wall \u2026 s"], ["wall  s"], True))
        self.assertIsNotNone(dr.match(["wall \u2026 s"], ["wall 2.5 ms"], True))
        self.assertIsNotNone(dr.match(["x \u2026"], ["y 1"], True))

    def test_ellipsis_line_and_adjacency(self):
        actual = ["1", "2", "3", "4", "5"]
        self.assertIsNone(dr.match(["1", "...", "5"], actual, True))
        self.assertIsNone(dr.match(["1", "...", "3", "...", "5"], actual, True))
        self.assertIsNone(dr.match(["1", "2", "...", "4", "5"], actual, True))
        self.assertIsNone(dr.match(["1", "  ...", "5"], actual, True))
        self.assertIsNone(dr.match(["...", "2", "3", "..."], actual, True))
        # Lines not separated by "..." must be adjacent.
        self.assertIsNotNone(dr.match(["1", "3", "..."], actual, True))
        # A transcript shows the start and the end of the output.
        self.assertEqual(dr.match(["2", "...", "5"], actual, True)[2],
                         "the output starts with lines the block does not show")
        self.assertEqual(dr.match(["1", "..."], actual, True), None)
        self.assertEqual(dr.match(["1", "2"], actual, True)[:2], (None, 2))
        self.assertIsNotNone(dr.match([], ["unexpected"], True))
        self.assertIsNone(dr.match([], [], True))
        # An excerpt (cmd= block) may start and end anywhere.
        self.assertIsNone(dr.match(["2", "3"], actual, False))
        self.assertIsNone(dr.match(["2", "...", "4"], actual, False))
        self.assertIsNotNone(dr.match(["2", "4"], actual, False))
        self.assertIsNotNone(dr.match(["4", "...", "2"], actual, False))

    def test_failure_points_at_the_stale_line_and_its_nearest(self):
        expected = ["summary", "  instructions 76105095", "  cycles 10"]
        actual = ["start", "summary", "  instructions 76105103", "  cycles 10"]
        missing, near, reason = dr.match(expected, actual, False)
        self.assertEqual((missing, near, reason), (1, 2, "line not found"))
        # A first line found nowhere: the most similar actual line.
        missing, near, reason = dr.match(["  instructions 76105095"], actual, False)
        self.assertEqual((missing, near), (0, 2))


class EndToEnd(unittest.TestCase):
    def run_doc(self, text):
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "repo")
            os.makedirs(os.path.join(root, "docs"))
            os.makedirs(os.path.join(root, "build"))
            with open(os.path.join(root, "docs", "t.md"), "w") as f:
                f.write(text)
            runner = dr.Runner(root, os.path.join(root, "build"), os.path.join(tmp, "work"))
            runner.prepare()
            out = io.StringIO()
            with redirect_stdout(out):
                status = dr.run_doc(runner, "docs/t.md", root)
            with open(os.path.join(root, "docs", "t.md")) as f:
                self.assertEqual(f.read(), text, "a command wrote into the source tree")
            return status, out.getvalue()

    def test_passing_doc(self):
        excerpt = "<!-- doctest: cmd=\"echo one; echo two >&2; echo three\" stream=stderr -->"
        status, out = self.run_doc(doc(
            "<!-- doctest -->", TICKS + "console",
            "$ mkdir -p box && echo hello > box/input.txt",
            "$ cat box/input.txt; exit 7", "hello", "[exit 7]",
            "$ echo out; echo err >&2", "out", "err", TICKS, "",
            excerpt, TICKS, "two", TICKS, "",
            excerpt, TICKS, "two", TICKS))
        self.assertEqual(status, 0, out)
        self.assertIn("docs/t.md: 3 tested blocks, 5 checks, 0 failed", out)
        self.assertIn("(output of the run above)", out)

    def test_stale_number_names_doc_line_expected_and_nearest(self):
        status, out = self.run_doc(doc(
            "# Guide", "",
            "<!-- doctest: cmd=\"printf 'trainvp: run summary\\n  instructions       76105103\\n'\" -->",
            TICKS, "trainvp: run summary", "  instructions       76105095", TICKS))
        self.assertEqual(status, 1, out)
        self.assertIn("FAIL docs/t.md:4: `printf", out)
        self.assertIn("docs/t.md:6: expected line not in the output:", out)
        self.assertIn("expected:        " + "  instructions       76105095", out)
        self.assertIn("nearest, line 2: " + "  instructions       76105103", out)
        self.assertIn("exit status 0, expected 0", out)

    def test_wrong_exit_status_fails(self):
        status, out = self.run_doc(doc("<!-- doctest -->", TICKS, "$ echo FAIL; exit 1", "FAIL", "[exit 7]",
                                          TICKS))
        self.assertEqual(status, 1, out)
        self.assertIn("exit status 1, expected 7", out)

    def test_doc_without_tested_blocks_fails(self):
        status, out = self.run_doc(doc("# nothing", TICKS, "text", TICKS))
        self.assertEqual(status, 1, out)
        self.assertIn("no tested block", out)

    def test_commands_run_in_a_scratch_copy_from_its_root(self):
        status, out = self.run_doc(doc(
            "<!-- doctest -->", TICKS, "$ ls docs && test -L build && echo new > docs/t.md && cat docs/t.md",
            "t.md", "new", TICKS))
        self.assertEqual(status, 0, out)


if __name__ == "__main__":
    unittest.main()
