#!/usr/bin/env bash
# The two distributions as users install them: built wheels in fresh venvs, nothing from the
# workspace. 1) the emitter alone: imports without the console's stack, and delivers 1,000 events
# (sync, 8 threads, forked child) to a moto server; 2) the console with the emitter: `--version`
# and `status --json` on the embedded stack.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
moto_pid=""
cleanup() {
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

uv build --quiet --package edgewatch-emitter --out-dir "$work/dist"
uv build --quiet --package edgewatch --out-dir "$work/dist"
ls "$work/dist"

# 1. The emitter alone.
uv venv --quiet --python python3 "$work/emitter-venv"
uv pip install --quiet --python "$work/emitter-venv/bin/python" "$work"/dist/edgewatch_emitter-*.whl
"$work/emitter-venv/bin/python" - <<'PY'
import importlib, pkgutil, sys
import edgewatch_emitter
for module in pkgutil.iter_modules(edgewatch_emitter.__path__):
    importlib.import_module(f"edgewatch_emitter.{module.name}")
forbidden = ("textual", "plotext", "moto", "aiobotocore", "pydantic_settings", "edgewatch", "httpx")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
assert not loaded, f"the emitter loaded {loaded}"
print("emitter wheel: imports alone;", len(sys.modules), "modules, none of", ", ".join(forbidden))
PY

uv run --quiet python - "$work/moto-url" <<'PY' &
import sys, time
from edgewatch.simulator.moto_server import MotoServer
server = MotoServer()
url = server.start()
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write(url)
import os
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
PY
moto_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/moto-url" ]] && break; sleep 0.1; done
AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
  "$work/emitter-venv/bin/python" scripts/emitter_delivery_check.py \
  --endpoint "$(cat "$work/moto-url")" --events 1000

# 2. The console, from its wheel and the emitter's.
uv venv --quiet --python python3 "$work/console-venv"
uv pip install --quiet --python "$work/console-venv/bin/python" "$work"/dist/*.whl
"$work/console-venv/bin/edgewatch" --version
(cd "$work" && env -u EDGEWATCH_CONFIG XDG_CONFIG_HOME="$work/xdg" \
  "$work/console-venv/bin/edgewatch" status --json --embedded > "$work/status.json")
"$work/console-venv/bin/python" -c "
import json, sys
status = json.load(open(sys.argv[1]))
rows = status if isinstance(status, list) else status.get('queues', [status])
assert rows, 'status --json returned nothing'
print('console wheel: status --json on the embedded stack:', len(rows), 'queues')
" "$work/status.json"
