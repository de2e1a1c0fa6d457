# SPDX-License-Identifier: GPL-2.0-or-later
# A strict checker of the Prometheus text exposition format (version 0.0.4),
# for when promtool is not installed: awk -f promcheck.awk FILE. Prints each
# problem as FILE:LINE: message and exits 1 when there is any.
#
# Checked: HELP and TYPE lines (at most one each per metric, TYPE before the
# samples, a known type), metric and label names, quoted and escaped label
# values, no label twice, sample values (floats, NaN, +Inf, -Inf), optional
# integer timestamps, a metric's samples together in one group, no series
# twice, no blank line, and a final newline.

function bad(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg
	errors++
}

function metric_started(name) {
	if (name in closed)
		bad("samples of " name " are not all in one group")
	if (current != "" && current != name)
		closed[current] = 1
	current = name
}

# Parse {a="x",b="y"}; returns the canonical label text or "" on error.
function parse_labels(s,    out, name, value, c, seen) {
	out = ""
	s = substr(s, 2)
	while (s != "" && substr(s, 1, 1) != "}") {
		if (!match(s, /^[a-zA-Z_][a-zA-Z0-9_]*="/)) {
			bad("bad label name or missing =\" in: " s)
			return "!"
		}
		name = substr(s, 1, RLENGTH - 2)
		if (name in seen) {
			bad("label " name " given twice")
			return "!"
		}
		seen[name] = 1
		s = substr(s, RLENGTH + 1)
		value = ""
		while (1) {
			c = substr(s, 1, 1)
			if (c == "") { bad("unterminated label value"); return "!" }
			if (c == "\"") break
			if (c == "\\") {
				if (substr(s, 2, 1) !~ /^[\\"n]$/) { bad("bad escape in label value"); return "!" }
				value = value substr(s, 1, 2)
				s = substr(s, 3)
				continue
			}
			value = value c
			s = substr(s, 2)
		}
		s = substr(s, 2)
		out = out name "=\"" value "\","
		if (substr(s, 1, 1) == ",") s = substr(s, 2)
		else if (substr(s, 1, 1) != "}") { bad("expected , or } after a label"); return "!" }
	}
	if (substr(s, 1, 1) != "}") { bad("unterminated label set"); return "!" }
	rest = substr(s, 2)
	return out
}

BEGIN { errors = 0; current = "" }

/^$/ { bad("blank line"); next }

/^#/ {
	if ($2 == "HELP" || $2 == "TYPE") {
		if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) { bad("bad metric name in " $2 ": " $3); next }
		if ($2 == "HELP") {
			if ($3 in help) bad("second HELP for " $3)
			help[$3] = 1
		} else {
			if ($3 in type) bad("second TYPE for " $3)
			if ($3 in sampled) bad("TYPE for " $3 " after its samples")
			if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/ || NF != 4)
				bad("bad TYPE line: " $0)
			type[$3] = $4
		}
		metric_started($3)
	}
	next
}

{
	if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { bad("bad metric name: " $0); next }
	name = substr($0, 1, RLENGTH)
	rest = substr($0, RLENGTH + 1)
	labels = ""
	if (substr(rest, 1, 1) == "{") {
		labels = parse_labels(rest)
		if (labels == "!") next
	}
	if (rest !~ /^ [^ ]+( -?[0-9]+)?$/) { bad("expected ' VALUE [TIMESTAMP]' after " name); next }
	split(substr(rest, 2), part, " ")
	if (part[1] !~ /^([-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$/)
		bad("bad sample value: " part[1])
	base = name
	sub(/_(bucket|sum|count|total)$/, "", base)
	if (!(name in type) && !(base in type)) bad("sample of " name " without a TYPE line")
	metric_started(name in type ? name : base)
	sampled[name] = 1
	if ((name, labels) in series) bad("series " name "{" labels "} given twice")
	series[name, labels] = 1
	samples++
}

END {
	if (errors == 0 && samples == 0) { printf "%s: no samples\n", FILENAME; errors++ }
	exit errors > 0
}
