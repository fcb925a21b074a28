# lib.sh - shared helpers for the integration tests (sourced, not run).
#
# Each test gets a private scratch directory that is removed on exit, runs
# postern's programs from the build tree, and counts failed checks; finish()
# exits non-zero when any check failed, so a test cannot pass by accident.
set -u
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
POSTCONF=$top_builddir/src/postconf/postconf
FIXTURES=$top_srcdir/tests/integration/fixtures
tmp=$(mktemp -d /tmp/postern-it.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
checks=0
failures=0

# check_same NAME EXPECTED ACTUAL: the two files must be identical.
check_same() {
    checks=$((checks + 1))
    if diff -u "$2" "$3" >"$tmp/diff" 2>&1; then
        echo "ok: $1"
    else
        echo "FAILED: $1"
        head -60 "$tmp/diff"
        failures=$((failures + 1))
    fi
}

# check_text NAME EXPECTED_TEXT ACTUAL_FILE
check_text() {
    printf '%s' "$2" >"$tmp/expected.txt"
    check_same "$1" "$tmp/expected.txt" "$3"
}

# check_status NAME WANT GOT
check_status() {
    checks=$((checks + 1))
    if [ "$2" = "$3" ]; then
        echo "ok: $1 (exit $3)"
    else
        echo "FAILED: $1: exit status $3, expected $2"
        failures=$((failures + 1))
    fi
}

# instance NAME: a fresh configuration directory under the scratch folder.
instance() {
    mkdir -p "$tmp/$1"
    echo "$tmp/$1"
}

finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
}
