#!/usr/bin/env bash
# faults_worker.sh - a FastCGI worker killed with SIGKILL mid-request, ten
# times, while four clients create todos.
#
# test_concurrency.sh's crash run (its run 3) alone, with more kills and
# fewer clients: lighttpd respawns every killed worker; a client sees 200
# or a clean 5xx for the call in flight, never a dropped connection; every
# create answered with success is listed exactly once at the end, none
# twice, none never sent; lighttpd logs "child signalled: 9" once per kill
# and nothing else died.
set -u
export CONC_CRASH_ONLY=1
export CONC_KILLS=${CONC_KILLS:-10}
export CONC_CLIENTS=${CONC_CLIENTS:-4}
export CONC_PER_CLIENT=${CONC_PER_CLIENT:-200}
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_concurrency.sh"
