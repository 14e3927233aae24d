#!/usr/bin/env python3
"""Generate a chart README's values table from the `# --` comments in its values.yaml.

Every key in values.yaml is documented by a comment block that starts with `# --` right above
it (helm-docs style); continuation lines are further `#` lines of the same block. A documented
key whose default is a map documents its whole map (its children need no comment of their own),
which is how Kubernetes objects such as `podSecurityContext` are documented.

The table goes between two markers in the README:

    <!-- values-table:start -->
    ...generated...
    <!-- values-table:end -->

Usage:
    chart_values_doc.py [--chart DIR]            rewrite DIR/README.md's table
    chart_values_doc.py [--chart DIR] --check    exit 1 and say what differs when the README's
                                                 table is not what values.yaml generates

Both modes fail (exit 1, listing the keys) when a key of values.yaml, or a property that
values.schema.json lets users set, is not covered by a `# --` comment.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"
DEFAULT_CHART = Path(__file__).resolve().parent.parent / "charts" / "webapp"

KEY_RE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_][A-Za-z0-9_.\-/]*|\"[^\"]+\"|'[^']+'):(?:\s+(?P<rest>.*))?$")
ITEM_RE = re.compile(r"^(?P<indent> *)- ")
DOC_START_RE = re.compile(r"^(?P<indent> *)# --\s?(?P<text>.*)$")
COMMENT_RE = re.compile(r"^(?P<indent> *)#\s?(?P<text>.*)$")
BLOCK_SCALAR_RE = re.compile(r"^[|>][-+0-9]*\s*(#.*)?$")


@dataclass
class Key:
    path: tuple[str, ...]
    line: int
    doc: str | None


class ParseError(Exception):
    pass


def parse_keys(text: str) -> list[Key]:
    """Every mapping key of values.yaml outside sequences, with the `# --` block above it."""
    keys: list[Key] = []
    # Stack of (indent, key, is_sequence_owner).
    stack: list[list] = []
    doc: list[str] | None = None
    doc_indent = -1
    block_indent: int | None = None  # inside a block scalar whose key sits at this indent
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if stripped == "" or indent > block_indent:
                continue
            block_indent = None
        if stripped == "":
            doc = None
            continue
        if stripped.startswith("#"):
            m = DOC_START_RE.match(line)
            if m:
                doc, doc_indent = [m.group("text").strip()], len(m.group("indent"))
                continue
            m = COMMENT_RE.match(line)
            if doc is not None and m and len(m.group("indent")) == doc_indent:
                doc.append(m.group("text").strip())
            continue
        if stripped == "---" or stripped.startswith("%"):
            continue
        if ITEM_RE.match(line):
            while stack and stack[-1][0] > indent:
                stack.pop()
            if stack and stack[-1][0] <= indent:
                stack[-1][2] = True
            doc = None
            continue
        m = KEY_RE.match(line)
        if not m:
            # a continuation of a flow collection or a multi-line plain scalar
            doc = None
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if any(entry[2] for entry in stack):
            doc = None  # a key inside a sequence item: part of that sequence's default
            continue
        key = m.group("key").strip("\"'")
        path = tuple(entry[1] for entry in stack) + (key,)
        this_doc = " ".join(part for part in doc if part) if doc is not None and doc_indent == indent else None
        keys.append(Key(path=path, line=lineno, doc=this_doc))
        doc = None
        rest = (m.group("rest") or "").strip()
        if BLOCK_SCALAR_RE.match(rest):
            block_indent = indent
        stack.append([indent, key, False])
    return keys


def lookup(values, path):
    node = values
    for part in path:
        if not isinstance(node, dict) or part not in node:
            raise KeyError(".".join(path))
        node = node[part]
    return node


def resolve(schema_root: dict, node: dict) -> dict:
    while isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ParseError(f"unsupported $ref {ref}")
            target = schema_root
            for part in ref[2:].split("/"):
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            continue
        if "allOf" in node and "type" not in node:
            node = {**resolve(schema_root, node["allOf"][0]), **{k: v for k, v in node.items() if k != "allOf"}}
            continue
        return node
    return node


def schema_node(schema: dict, path) -> dict | None:
    node = resolve(schema, schema)
    for part in path:
        props = node.get("properties", {}) if isinstance(node, dict) else {}
        if part not in props:
            return None
        node = resolve(schema, props[part])
    return node


def type_name(schema: dict, path, value) -> str:
    node = schema_node(schema, path)
    if node is not None:
        t = node.get("type")
        if isinstance(t, list):
            return " or ".join(t)
        if isinstance(t, str):
            return t
        if "anyOf" in node:
            names = []
            for alt in node["anyOf"]:
                alt_type = resolve(schema, alt).get("type")
                for name in alt_type if isinstance(alt_type, list) else [alt_type]:
                    if name and name not in names:
                        names.append(name)
            if names:
                return " or ".join(names)
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
            float: "number", type(None): "null"}[type(value)]


def schema_paths(schema: dict, node: dict | None = None, prefix=()):
    """Every property path the schema names (objects recursed through `properties`)."""
    node = resolve(schema, schema if node is None else node)
    for name, sub in (node.get("properties") or {}).items():
        path = prefix + (name,)
        yield path
        sub = resolve(schema, sub)
        if isinstance(sub, dict) and sub.get("type") == "object" and "properties" in sub:
            yield from schema_paths(schema, sub, path)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_default(value) -> str:
    return "`" + cell(json.dumps(value, separators=(", ", ": "), ensure_ascii=False)) + "`"


def build_table(chart: Path) -> tuple[str, list[str]]:
    """The generated table, and the problems (undocumented keys) found on the way."""
    text = (chart / "values.yaml").read_text()
    values = yaml.safe_load(text) or {}
    schema_file = chart / "values.schema.json"
    schema = json.loads(schema_file.read_text()) if schema_file.exists() else {}
    keys = parse_keys(text)

    problems: list[str] = []
    documented = {k.path for k in keys if k.doc}
    covered = lambda path: any(path[:i] in documented for i in range(1, len(path) + 1))  # noqa: E731
    for k in keys:
        try:
            value = lookup(values, k.path)
        except KeyError:
            raise ParseError(f"values.yaml:{k.line}: parsed key {'.'.join(k.path)} not found by the YAML loader")
        has_children = isinstance(value, dict) and value
        if not covered(k.path) and not has_children:
            problems.append(f"values.yaml:{k.line}: {'.'.join(k.path)} has no `# --` comment")
        if k.doc is not None and not k.doc.strip():
            problems.append(f"values.yaml:{k.line}: {'.'.join(k.path)} has an empty `# --` comment")
    for path in schema_paths(schema):
        if not covered(path) and not any(k.path == path for k in keys):
            problems.append(f"values.schema.json: {'.'.join(path)} is settable but not in values.yaml under a `# --` comment")

    rows = ["| Key | Type | Default | Description |", "|-----|------|---------|-------------|"]
    for k in keys:
        if not k.doc:
            continue
        value = lookup(values, k.path)
        rows.append("| {} | {} | {} | {} |".format(
            "`" + ".".join(k.path) + "`", type_name(schema, k.path, value), render_default(value), cell(k.doc)))
    return "\n".join(rows) + "\n", problems


def splice(readme: str, table: str) -> str:
    if START not in readme or END not in readme or readme.index(START) > readme.index(END):
        raise ParseError(f"README.md must hold the markers {START} and {END}, in that order")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chart", type=Path, default=DEFAULT_CHART, help="chart directory (default: charts/webapp)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when README.md is out of date")
    args = parser.parse_args(argv)

    readme_file = args.chart / "README.md"
    try:
        table, problems = build_table(args.chart)
        current = readme_file.read_text() if readme_file.exists() else ""
        wanted = splice(current, table)
    except (ParseError, OSError, yaml.YAMLError, json.JSONDecodeError) as exc:
        print(f"chart_values_doc: {exc}", file=sys.stderr)
        return 2

    for problem in problems:
        print(f"undocumented: {problem}", file=sys.stderr)
    if args.check:
        if current != wanted:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True), wanted.splitlines(keepends=True),
                fromfile=f"{readme_file} (committed)", tofile=f"{readme_file} (from values.yaml)")
            sys.stderr.write("values table drifted from values.yaml; run tools/chart_values_doc.py\n")
            sys.stderr.writelines(diff)
            return 1
        return 1 if problems else 0
    if problems:
        print("chart_values_doc: not writing README.md until every value is documented", file=sys.stderr)
        return 1
    if current != wanted:
        readme_file.write_text(wanted)
        print(f"wrote {readme_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
