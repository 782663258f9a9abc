# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the harness scripts (sourced, not run).

# The series is authored by a role, not by a person; `make mbox` re-signs
# it with the poster's own identity before it is sent.
ROLE_NAME="DAX and iomap series"
ROLE_EMAIL="dax-iomap-series@example.invalid"

BASE_TAG=v7.3.4

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Record one result in $RESULTS (see scripts/results.sh), and remember a
# failure so that the script can exit non-zero (results_exit).
RECORDED_FAILS=0
XFAIL_LIST=${XFAIL_LIST:-$(dirname "$0")/../xfail}
record() {	# PASS|FAIL|SKIP|XFAIL name [reason]
	_st=$1 _why=${3:-}
	[ "$_st" = FAIL ] && RECORDED_FAILS=$((RECORDED_FAILS + 1))
	[ "$_st" = FAIL ] && [ -z "${RESULTS:-}" ] && printf 'FAIL: %s: %s\n' "$2" "$_why" >&2
	[ -n "${RESULTS:-}" ] || return 0
	printf '%s\t%s\t%s\n' "$_st" "$2" "$_why" >>"$RESULTS"
}

# The outcome of a test that ran and reported PASS or FAIL.  A test listed
# in ./xfail (glob<TAB>issue<TAB>why) is a known failure that an open issue
# fixes: its FAIL is recorded as XFAIL, and its PASS as a FAIL ("remove it
# from xfail"), so that the list only shrinks, by a fix.  A listed test
# that skips or does not report at all is not excused: use record for that.
record_result() {	# PASS|FAIL name [reason]
	_x=
	[ -f "$XFAIL_LIST" ] && _x=$(xfail_issue "$2")
	if [ -z "$_x" ]; then
		record "$@"
	elif [ "$1" = FAIL ]; then
		record XFAIL "$2" "expected failure until $_x is fixed: ${3:-}"
	else
		record FAIL "$2" "passes now: remove it from xfail ($_x)"
	fi
}

# The second field of the first "glob<TAB>field<TAB>..." line of FILE
# whose glob matches NAME, if any (./xfail, ./skips).
glob_field() {	# FILE NAME
	while IFS="$(printf '\t')" read -r _g _f _r; do
		case $_g in '#'* | '') continue ;; esac
		# shellcheck disable=SC2254
		case $2 in $_g) echo "$_f"; return 0 ;; esac
	done <"$1"
}

# The issue that ./xfail names for test NAME, if any.
xfail_issue() {	# NAME
	glob_field "$XFAIL_LIST" "$1"
}

# End a script that records results: non-zero when it recorded a failure.
results_exit() {
	[ "$RECORDED_FAILS" -eq 0 ] || { msg "$RECORDED_FAILS failed (see above)"; exit 1; }
	exit 0
}

role_env() {
	export GIT_AUTHOR_NAME="$ROLE_NAME" GIT_AUTHOR_EMAIL="$ROLE_EMAIL"
	export GIT_COMMITTER_NAME="$ROLE_NAME" GIT_COMMITTER_EMAIL="$ROLE_EMAIL"
}

# The stamp that tells `make tree` the commits of TREE are saved in
# DIR/series and DIR/patches (written by make tree and make export).
series_fingerprint() {	# DIR
	(cd "$1" && cat series patches/*.patch 2>/dev/null | sha1sum | cut -d' ' -f1)
}
write_stamp() {		# TREE DIR
	echo "$(series_fingerprint "$2") $(git -C "$1" rev-parse series)" >"$1/.git/series-applied"
}

# Build v7.3.4 with the guest configuration (less the series' KUnit
# options) in KBASE, from a worktree of TREE beside it, for benchmarks
# that compare the series with the base.
build_base() {		# TREE KBASE TOP LOG
	_base=$(dirname "$1")/linux-base
	[ -d "$_base" ] || git -C "$1" worktree add -q --detach "$_base" "$BASE_TAG"
	msg "building $BASE_TAG for comparison in $2 (log: $4)"
	(cd "$_base" && python3 tools/testing/kunit/kunit.py build --arch=x86_64 \
		--build_dir="$2" --jobs="$(nproc)" --make_options 'CC=ccache gcc' \
		--kunitconfig="$3/qemu/guest.config" --kunitconfig="$3/qemu/pmem.config") >"$4" 2>&1 ||
		die "$BASE_TAG build failed (log: $4)"
}

# Boot BZIMAGE with INITRD in benchmark mode (qemu/init runs /bench/run.sh)
# and print the guest's "=== BENCH ... ===" lines, each after PREFIX.
bench_boot() {		# BZIMAGE INITRD GUESTDIR PREFIX
	GUEST_APPEND=harness.run=bench "$(dirname "$0")/../qemu/run-guest.sh" \
		"$1" "$2" "$3" >/dev/null 2>&1 ||
		die "guest run failed (log: $3/console.log)"
	tr -d '\r' <"$3/console.log" | sed -n "s/^=== BENCH \(.*\) ===\$/$4\1/p"
}

# Record whether kernel log LOG is free of splats (PASS) or not (FAIL with
# the first one; all of them in SPLATS).  An empty or missing log fails:
# a log that was not captured is not clean.
SPLAT_PATTERN='WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|Page cache invalidation failure|refcount_t:|list_(add|del) corruption|Machine check: .*panic|INFO: task .* blocked'
check_kernel_log() {	# NAME LOG SPLATS
	if [ ! -s "$2" ]; then
		record FAIL "$1" "no kernel log captured ($2 is missing or empty)"
	elif grep -E "$SPLAT_PATTERN" "$2" >"$3"; then
		record FAIL "$1" "$(head -n1 "$3") (see $2)"
	else
		record PASS "$1"
	fi
}

# The tests kselftest_harness binary PROG (DIR/NAME) lists with -l, as
# "DIR/NAME: fixture.variant.test" lines in OUT (-l prints fixtures,
# variants and tests in columns of 20 and 25).  A listing that fails is
# recorded as a failure.
list_tests() {	# DIR/NAME PROG OUT
	# kselftest_harness exits with KSFT_SKIP (4) after listing.
	_rc=0
	"$2" -l >"$3.raw" 2>&1 || _rc=$?
	if { [ "$_rc" -ne 0 ] && [ "$_rc" -ne 4 ]; } || ! grep -q '^# FIXTURE' "$3.raw"; then
		record FAIL "selftests: $1: list its tests (-l)" "exit $_rc: $(tail -n1 "$3.raw")"
		: >"$3"
		return 1
	fi
	awk -v p="$1" '
		function flush(i, j) { for (i in V) for (j in T) print p ": " F "." (V[i] == "" ? "" : V[i] ".") T[j] }
		/^# FIXTURE/ { next }
		/^-----/ { flush(); delete V; delete T; next }
		{ f = substr($0, 1, 20); v = substr($0, 22, 25); t = substr($0, 48)
		  gsub(/ /, "", f); gsub(/ /, "", v); gsub(/ /, "", t)
		  if (f != "") { F = f; V[0] = v; nv = 1 } else if (v != "") V[nv++] = v
		  if (t != "") T[nt++] = t }
		END { flush() }' "$3.raw" | sort >"$3"
}
