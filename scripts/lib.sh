# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the harness scripts (sourced, not run).

# The series is authored by a role, not by a person; `make mbox` re-signs
# it with the poster's own identity before it is sent.
ROLE_NAME="DAX and iomap series"
ROLE_EMAIL="dax-iomap-series@example.invalid"

BASE_TAG=v7.3.4

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Record one harness result in $RESULTS (see scripts/results.sh).
record() {	# PASS|FAIL|SKIP name [reason]
	[ -n "${RESULTS:-}" ] || return 0
	printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$RESULTS"
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
		--kunitconfig="$3/qemu/guest.config") >"$4" 2>&1 ||
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
