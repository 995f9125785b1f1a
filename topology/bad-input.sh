#!/usr/bin/env bash
# The bad-input suite in one command: builds, then runs BadInputSuiteTest (a gateway as its own
# process, a connection point and an internal server; URL attacks, request smuggling, header floods,
# oversized input, slow heads and bodies, malformed TLS records, JWTs and client certificates) and
# prints its figures. It also runs in ./run-tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./run-tests -q -Dtest=BadInputSuiteTest -Dsurefire.failIfNoSpecifiedTests=false
echo
grep -E '^\||^cases: ' distribution/target/surefire-reports/org.opencmg.distribution.BadInputSuiteTest-output.txt
