"""Save an SVG screenshot of the console on the embedded stack (for the README).

Usage: ``uv run python scripts/screenshot.py [docs/dashboard.svg] [--seconds 20]``
"""

from __future__ import annotations

import argparse
import asyncio

from edgewatch.config import load_settings
from edgewatch.runtime import Runtime
from edgewatch.tui.app import EdgewatchApp


async def shoot(path: str, seconds: float) -> None:
    settings, source = load_settings()
    runtime = Runtime.start(settings, source, embedded=True, seed=1)
    try:
        app = EdgewatchApp(runtime)
        async with app.run_test(size=(120, 36)) as pilot:
            await asyncio.sleep(seconds)
            await pilot.pause()
            app.save_screenshot(path)
    finally:
        runtime.stop_stack()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="docs/dashboard.svg")
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    asyncio.run(shoot(args.path, args.seconds))


if __name__ == "__main__":
    main()
