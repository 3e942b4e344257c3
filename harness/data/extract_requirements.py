#!/usr/bin/env python3
"""Regenerates requirements.yaml from the REQUIREMENTS.md table rows (ids, keyword,
section, versions, and the paraphrase the reports quote). Usage:
extract_requirements.py PATH/REQUIREMENTS.md"""
import json
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/mcp-spec/REQUIREMENTS.md"
rows, section = [], None
for line in open(src, encoding="utf-8"):
    m = re.match(r"^## (\d+)\. (\w+)\b", line)
    if m:
        section = (int(m.group(1)), m.group(2))
        continue
    m = re.match(r"^\| ([A-Z]+-\d\d) \| ([^|]+) \|.*\| ([^|]+) \|\s*$", line)
    if m:
        # Cells split on unescaped pipes; the third is the paraphrase.
        cells = re.split(r"(?<!\\)\|", line.strip())
        text = cells[3].strip().replace("\\|", "|")
        rows.append((m.group(1), m.group(2).strip(), section, m.group(3).strip(), text))
out = sys.stdout
out.write("# Requirement ids of ../shared/mcp-spec/REQUIREMENTS.md (spec commit b0f60ba5), as data:\n")
out.write("# id, RFC 2119 keyword (with † when derived), section number and area, the\n")
out.write("# revisions it applies to in that file's shorthand, and the paraphrase (our own words),\n")
out.write("# which the SARIF and Markdown reports quote. Regenerate with\n")
out.write("# harness/data/extract_requirements.py.\n")
for rid, kw, (num, area), versions, text in rows:
    versions = versions.replace('"', '\\"')
    quoted = json.dumps(text, ensure_ascii=False)
    out.write(f'- {{id: {rid}, keyword: "{kw}", section: {num}, area: {area}, revisions: "{versions}", text: {quoted}}}\n')
