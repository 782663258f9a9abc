#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# results.sh reset|summary [MAKE_RC]
#
# Every check of `make test` appends "STATUS<TAB>name<TAB>reason" to
# $RESULTS, STATUS one of PASS, FAIL, SKIP or XFAIL (a failure listed in
# ./xfail with the issue that fixes it; see record() in lib.sh).
# `summary` prints what did not pass, then the counts of the kernel's tests
# (KUnit, selftests, guest and KUnit kernel logs) and of the series checks
# (export, base files, checkpatch, per-patch builds, harness self-checks)
# apart, and last the closing line "total: N passed, N failed, N skipped"
# (expected failures are in neither count).
# It exits non-zero when anything failed, when a step died without
# recording (MAKE_RC != 0), or when nothing ran.
set -eu
. "$(dirname "$0")/lib.sh"
: "${RESULTS:?RESULTS must name the results file}"

case $1 in
reset)
	mkdir -p "$(dirname "$RESULTS")"
	: >"$RESULTS"
	rm -f "${ACCEL_CACHE:-}"
	;;
summary)
	rc=${2:-0}
	touch "$RESULTS"
	f=$(grep -c '^FAIL' "$RESULTS" || true)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL	make	a step stopped before recording its results (exit $rc); see its log" >>"$RESULTS"
	fi
	if [ ! -s "$RESULTS" ]; then
		echo "FAIL	make	no test ran" >>"$RESULTS"
	fi
	# Every xfail entry must still name a test that ran (a whole run only).
	if [ -z "${T:-}" ] && [ -f "$XFAIL_LIST" ]; then
		tab=$(printf '\t')
		while IFS=$tab read -r g issue why; do
			case $g in '#'* | '') continue ;; esac
			hit=
			while IFS=$tab read -r st name rest; do
				# shellcheck disable=SC2254
				case $name in $g) hit=1; break ;; esac
			done <"$RESULTS"
			[ -n "$hit" ] ||
				echo "FAIL	make: xfail	'$g' ($issue) matches no test that ran: fix or remove the entry" >>"$RESULTS"
		done <"$XFAIL_LIST"
	fi
	grep -E '^(FAIL|SKIP|XFAIL)' "$RESULTS" | sed 's/^/  /' || true
	if [ -s "${ACCEL_CACHE:-}" ]; then
		read -r a why <"$ACCEL_CACHE"
		echo "guests ran under $a ($why)"
	fi
	awk -F'\t' '
		{ k = ($2 ~ /^(kunit|selftests|guest|make)/) ? "t" : "c"; n[k, $1]++; n["all", $1]++ }
		function line(k) { return sprintf("%d passed, %d failed, %d skipped", n[k, "PASS"], n[k, "FAIL"], n[k, "SKIP"]) }
		END {
			printf "tests: %s, %d expected failures; series checks: %s\n", line("t"), n["t", "XFAIL"], line("c")
			# An expected failure is neither passed nor failed: the line above
			# counts it, and it turns into a failure once it passes.
			printf "total: %s\n", line("all")
			exit n["all", "FAIL"] > 0
		}' "$RESULTS"
	;;
*)
	die "usage: results.sh reset|summary [rc]"
	;;
esac
