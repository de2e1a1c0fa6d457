#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Linear time and bounded memory on every input dimension: a doubling
# series per dimension (tests/scaling/scaling.py), comparing svcnft's CPU
# time and peak memory at n and at 4n within one run. Skipped without
# python3. SCALING_ONLY=name,... runs some; `scaling.py --list` names them.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${SVCNFT:=$(pwd)/svcnft}"
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is missing"; exit 77; }
if [ "${SVCNFT_SANITIZE:-}" = 1 ]; then
	# the sanitizers' own bookkeeping is not what is measured here
	echo "skip: timing is measured on the plain build (make check)"
	exit 77
fi
exec python3 tests/scaling/scaling.py ${SCALING_ONLY:+--only "$SCALING_ONLY"} "$SVCNFT"
