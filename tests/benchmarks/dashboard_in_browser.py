"""The coordinator's dashboard as a user times it: from the click to the answer on the page.

    make run                      # in another terminal: the demo on http://127.0.0.1:8000/
    .venv/bin/python -m tests.benchmarks.dashboard_in_browser --url http://127.0.0.1:8000

Logs in as the demo's Utrecht coordinator in Debian's Chromium (Playwright), then times
"run allocation now" (until its progress bar goes), the what-if panel with its defaults
(until the answer shows) and the capacity report (until its table shows), and prints the
answers. Not a pytest module; the figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--user", default="coordinator-utrecht")
    p.add_argument("--password", default="leerplek-demo")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(base_url=args.url)
        page.set_default_timeout(300_000)
        page.goto("/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("button[type=submit]")
        page.wait_for_url("**/coordinator/")
        page.wait_for_selector("#live:not(.offline)")

        def timed(what: str, click: str, done: str, answer: str) -> None:
            started = time.perf_counter()
            page.click(click)
            page.wait_for_selector(done)
            seconds = time.perf_counter() - started
            text = " | ".join(page.locator(answer).inner_text().split("\n")[:3])
            print(f"{what:<22} {seconds:6.1f} s  {text}")

        started = time.perf_counter()
        page.click("#run-now")
        page.wait_for_selector("#run-progress:not([hidden])")
        page.wait_for_selector("#run-progress", state="hidden")
        print(f"{'run allocation now':<22} {time.perf_counter() - started:6.1f} s")
        timed("what-if (defaults)", "#whatif button[type=submit]", "#whatif-result [data-delta]",
              "#whatif-result")  # fmt: skip
        timed("capacity report", "#capacity-run", "#capacity-result table", "#capacity-result")
        browser.close()


if __name__ == "__main__":
    main()
