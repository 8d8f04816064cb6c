#!/usr/bin/env bash
# bulwarkctl validate / compile on the corpus: exit codes, every error
# printed, and the compiled JSON equal to expected/compile.json.
set -euo pipefail
src=${BW_SRC:?}/tests/policies
ctl=${BW_BULWARKCTL:-${BW_BUILD:?}/bin/bulwarkctl}
if [ ! -x "$ctl" ]; then
	echo "skip: $ctl is not built" >&2
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Valid corpus: exit 0.
"$ctl" validate "$src/valid" >"$tmp/out" 2>"$tmp/err" || fail "validate valid/: $(cat "$tmp/err")"
grep -q "policies valid" "$tmp/out" || fail "no summary: $(cat "$tmp/out")"

# Each invalid file: exit 1 and every expected error, file named as given.
cd "$src/invalid"
for f in *.yaml *.json; do
	rc=0
	"$ctl" validate "$f" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "validate $f: exit $rc, want 1"
	exp=$f
	[ -f "$f.expect" ] && exp=$f.expect
	while IFS= read -r want; do
		grep -qF -- "$want" "$tmp/err" || fail "validate $f: missing '$want' in: $(cat "$tmp/err")"
	done < <(sed -n 's/^\(# \)\{0,1\}expect: //p' "$exp")
done

# A directory with valid and invalid files: all errors of all files, exit 1.
rc=0
"$ctl" validate "$src/invalid" "$src/valid" >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "validate mixed: exit $rc"
n=$(ls "$src/invalid"/*.yaml "$src/invalid"/*.json | wc -l)
[ "$(cut -d: -f1 "$tmp/err" | sort -u | wc -l)" -ge "$n" ] || fail "not every file reported"

# Standard input.
"$ctl" validate - <"$src/valid/ksp-network.yaml" >/dev/null || fail "validate - (valid)"
rc=0
"$ctl" validate - <"$src/invalid/bad-dir.yaml" 2>"$tmp/err" >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "validate - (invalid): exit $rc"
grep -q "^<stdin>:12:12: " "$tmp/err" || fail "validate -: $(cat "$tmp/err")"

# Usage errors exit 2; a missing file is an error.
rc=0; "$ctl" validate >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "validate without args: exit $rc"
rc=0; "$ctl" validate "$tmp/nope.yaml" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "validate missing file: exit $rc"
rc=0; "$ctl" compile "$src/valid" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "compile without --inventory: exit $rc"

# Compile: the exact expected output, twice the same.
cd "$src/.."
"$ctl" compile --inventory policies/inventory.yaml policies/valid >"$tmp/c1" 2>"$tmp/err" ||
	fail "compile: $(cat "$tmp/err")"
"$ctl" compile --inventory policies/inventory.yaml policies/valid >"$tmp/c2"
cmp -s "$tmp/c1" "$tmp/c2" || fail "compile output differs between runs"
diff -u "$src/expected/compile.json" "$tmp/c1" || fail "compile output differs from expected/compile.json"
"$ctl" compile --inventory policies/inventory.yaml --node node-b policies/valid >"$tmp/c3"
grep -q '"node-a"' "$tmp/c3" && fail "--node node-b printed node-a"
grep -q '"node":	"node-b"' "$tmp/c3" || fail "--node node-b missing"
rc=0
"$ctl" compile --inventory policies/inventory.yaml policies/invalid >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "compile of invalid policies: exit $rc"
echo "ok"
