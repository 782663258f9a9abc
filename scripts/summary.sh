#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# summary.sh OUTDIR: what `make run` showed, grouped, in a few lines.
set -eu
. "$(dirname "$0")/lib.sh"
out=$1
[ -f "$RESULTS" ] || exit 0
echo
echo "---------------------------------------------------------------- summary"
if [ -f "$out/guest/console.log" ]; then
	tr -d '\r' <"$out/guest/console.log" | sed -n 's/^=== \(guest: .*\|devices: .*\) ===$/  \1/p'
fi
awk -F'\t' '{
	split($2, a, ": "); g = a[1]; n[g]++; if ($1 == "PASS") p[g]++
	if ($1 != "PASS") bad[g] = bad[g] "\n      " $1 " " $2 (length($3) ? " -- " $3 : "")
} END {
	for (g in n) printf "  %-44s %3d/%-3d passed%s\n", g, p[g], n[g], bad[g]
}' "$RESULTS" | sort
echo "  logs: $out"
