#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh WHAT [ARGS]: validate.py WHAT with a Python that has what it needs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
exec "$PY" "$here/validate.py" "$@"
