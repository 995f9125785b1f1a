#!/usr/bin/env bash
# The fault suite in one command: builds, starts topology/topology.sh's topology in a temporary
# folder, runs FaultSuiteTest under load (a connection point and a gateway killed with SIGKILL, a
# PostgreSQL restart, then a rolling restart: each gateway and each connection point stopped with
# SIGTERM, which drains it, and started again, one after the other, with not one request failing)
# and prints its figures: the table of faults and the drained gateways' timings. It also runs in
# ./run-tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./run-tests -q -Dtest=FaultSuiteTest -Dsurefire.failIfNoSpecifiedTests=false
echo
grep -E '^\||^first admin write' distribution/target/surefire-reports/org.opencmg.distribution.FaultSuiteTest-output.txt
