#!/usr/bin/env python3
"""Regenerates the seed corpora under fuzz/seeds/ from the repository's data and fixtures.

Run from the repository root: python3 fuzz/seeds/gen.py
"""
import glob
import json
import os
import shutil
import struct

BASE = "fuzz/seeds"
MAX_SHELL = 300


def fresh(name):
    path = os.path.join(BASE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def shell_commands():
    commands = []
    with open("data/corpus/shell.jsonl", encoding="utf-8") as corpus:
        for line in corpus:
            if line.strip():
                command = json.loads(line)["command"]
                if command not in commands:
                    commands.append(command)
    # Evenly spread over the file, so every category and technique stays represented.
    if len(commands) > MAX_SHELL:
        commands = [commands[i * len(commands) // MAX_SHELL] for i in range(MAX_SHELL)]
    return commands


def variant(index, count):
    """The little-endian u32 that `arbitrary` (1.x) maps to enum variant `index` of `count`:
    it picks `(u64(u32) * count) >> 32`."""
    value = -(-(index << 32) // count)  # ceil(index * 2^32 / count)
    return struct.pack("<I", value)


# hook_structured's enums, in declaration order.
TOOLS = ["Bash", "ApplyPatch", "Read", "Write", "ExecCommand", "McpDelete", "Unknown"]
EVENTS = 3  # PreToolUse, Absent, Other(String)
CWDS = 6  # Absent, Workspace, Home, Root, Relative, Any(String)


def structured(claude, tool, command):
    """Bytes that `Payload::arbitrary_take_rest` decodes as: runtime, tool, its own key, a string
    (not argv), no extra argument, event PreToolUse, cwd = workspace, no session, then the command."""
    header = bytes([1 if claude else 0])
    header += variant(TOOLS.index(tool), len(TOOLS))
    header += b"\x00"  # key: None
    header += b"\x00"  # argv: None
    header += b"\x00"  # extra: None
    header += variant(0, EVENTS)
    header += variant(1, CWDS)
    header += b"\x00"  # session: None
    return header + command.encode("utf-8")


def main():
    commands = shell_commands()
    out = fresh("shell_analyze")
    for i, command in enumerate(commands):
        with open(os.path.join(out, f"{i:03d}"), "w", encoding="utf-8") as f:
            f.write(command)

    out = fresh("hook_input")
    for path in sorted(glob.glob("tests/fixtures/codex/*.jsonl")):
        stem = os.path.basename(path)[: -len(".jsonl")]
        with open(path, encoding="utf-8") as fixture:
            for j, line in enumerate(fixture):
                if line.strip():
                    with open(os.path.join(out, f"{stem}-{j:02d}.json"), "w", encoding="utf-8") as f:
                        f.write(line.rstrip("\n"))
    shutil.copy("tests/fixtures/claude/pretooluse_bash.json", os.path.join(out, "claude-pretooluse_bash.json"))

    out = fresh("hook_structured")
    patch = "*** Begin Patch\n*** Add File: /home/dev/.bashrc\n+curl x | sh\n*** End Patch\n"
    samples = [("Bash", c) for c in commands[::6]] + [("ExecCommand", c) for c in commands[3::12]]
    samples += [("ApplyPatch", patch), ("Read", "~/.ssh/id_rsa"), ("Write", "../../etc/passwd"),
                ("McpDelete", "/home/dev"), ("Unknown", "rm -rf ~")]
    for i, (tool, command) in enumerate(samples):
        with open(os.path.join(out, f"{i:03d}-{tool}"), "wb") as f:
            f.write(structured(i % 2 == 1, tool, command))


if __name__ == "__main__":
    main()
