#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# results.sh reset|summary [MAKE_RC]
#
# Every check of `make test` appends "PASS|FAIL|SKIP<TAB>name<TAB>reason" to
# $RESULTS.  `summary` prints the failures and skips, then the closing line
# "N passed, N failed, N skipped", and exits non-zero when anything failed,
# when a step died without recording (MAKE_RC != 0), or when nothing ran.
set -eu
. "$(dirname "$0")/lib.sh"
: "${RESULTS:?RESULTS must name the results file}"

case $1 in
reset)
	mkdir -p "$(dirname "$RESULTS")"
	: >"$RESULTS"
	;;
summary)
	rc=${2:-0}
	touch "$RESULTS"
	p=$(grep -c '^PASS' "$RESULTS" || true)
	f=$(grep -c '^FAIL' "$RESULTS" || true)
	s=$(grep -c '^SKIP' "$RESULTS" || true)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL	make	a step stopped before recording its results (exit $rc); see its log" >>"$RESULTS"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "FAIL	make	no test ran" >>"$RESULTS"
		f=1
	fi
	grep -E '^(FAIL|SKIP)' "$RESULTS" | sed 's/^/  /' || true
	echo "$p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ]
	;;
*)
	die "usage: results.sh reset|summary [rc]"
	;;
esac
