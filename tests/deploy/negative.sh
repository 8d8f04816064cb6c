#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The validators must reject each file in tests/deploy/bad with the error its
# "# expect:" line names: proof that the checks the other tests pass can fail.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fail=0 n=0
for f in "$here"/bad/*; do
	want=$(sed -n 's/^# expect: //p' "$f" | head -1)
	case "$f" in
	*.yml) out=$("$PY" "$here/validate.py" compose "$f" 2>&1) ;;
	*) out=$("$PY" "$here/validate.py" files "$f" 2>&1) ;;
	esac
	rc=$?
	n=$((n + 1))
	if [ "$rc" -eq 77 ]; then
		echo "$out"
		exit 77
	fi
	if [ "$rc" -ne 1 ] || ! grep -qF -- "$want" <<<"$out"; then
		echo "FAIL $(basename "$f"): exit $rc, expected an error containing: $want"
		echo "$out" | sed 's/^/    /'
		fail=$((fail + 1))
	else
		echo "ok   $(basename "$f"): $(grep -F -- "$want" <<<"$out" | head -1 | cut -c1-150)"
	fi
done
echo "deploy-negative: files=$n failed=$fail"
[ "$fail" -eq 0 ]
