#!/usr/bin/env bash
# LocalStack community for the test suite, on the host (no Docker): installs it into its own cached
# venv on a Python >= 3.13 found on this machine, or starts it on 127.0.0.1 in the foreground.
#   scripts/localstack/localstack.sh install   # find Python >= 3.13, create/reuse the venv
#   scripts/localstack/localstack.sh run       # install, then serve until Ctrl-C
#   scripts/localstack/localstack.sh where     # which Python and venv it would use
# The logic is tests/support/localstack.py (stdlib only), which the test fixture uses too.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 -m tests.support.localstack "$@"
