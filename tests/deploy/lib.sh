# SPDX-License-Identifier: Apache-2.0
# Sourced by the tests/deploy scripts: picks a Python with PyYAML and
# jsonschema (Debian's python3 first: the packages come from apt).
PY=
for cand in /usr/bin/python3 python3; do
	if command -v "$cand" >/dev/null 2>&1 &&
		"$cand" -c 'import yaml, jsonschema' >/dev/null 2>&1; then
		PY=$cand
		break
	fi
done
if [ -z "$PY" ]; then
	echo "skip: no python3 with PyYAML and jsonschema (apt-get install python3-yaml python3-jsonschema)" >&2
	exit 77
fi
export PY
