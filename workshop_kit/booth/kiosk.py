"""Running the booth as a kiosk: Chromium full screen on the visitor page, and a supervisor that restarts the booth.

>>> "--kiosk" in chromium_command("http://127.0.0.1:7860/")
True
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import urllib.request

__all__ = ["CHROMIUM_FLAGS", "chromium_command", "open_later", "systemd_unit"]

CHROMIUM_FLAGS = (
    "--kiosk", "--noerrdialogs", "--disable-infobars", "--no-first-run", "--disable-translate",
    "--disable-pinch", "--overscroll-history-navigation=0", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    "--check-for-update-interval=31536000",
)
"""Full screen with no bars, no pop-ups, no pinch zoom or swipe back, and no connection of Chromium's own."""


def chromium_command(url: str, *, lang: str = "fr", browser: str | None = None) -> list[str]:
    """The command that opens ``url`` full screen in Debian's Chromium (``apt-get install chromium``)."""
    browser = browser or shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    return [browser, *CHROMIUM_FLAGS, f"--lang={lang}", f"--app={url}"]


def open_later(url: str, *, lang: str = "fr", timeout: float = 120.0) -> threading.Thread:
    """Open the kiosk browser once ``url`` answers (the booth starts in a few seconds)."""
    def wait_then_open():
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "healthz" if url.endswith("/") else url + "/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        subprocess.Popen(chromium_command(url, lang=lang), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    thread = threading.Thread(target=wait_then_open, name="workshop-kit-kiosk", daemon=True)
    thread.start()
    return thread


def systemd_unit(*, port: int = 7860, lang: str = "fr", lan: bool = True, kiosk: bool = True,
                 public_url: str | None = None, python: str | None = None, user: str = "%i") -> str:
    """A systemd unit that runs the booth and restarts it within seconds if it stops (``Restart=always``).

    Save it as ``/etc/systemd/system/workshop-kit-booth@.service`` and start it with
    ``systemctl enable --now workshop-kit-booth@$USER``.
    """
    python = python or sys.executable
    flags = [f"--port {port}", f"--lang {lang}"] + (["--lan"] if lan else []) + (["--kiosk"] if kiosk else [])
    if public_url:
        flags.append(f"--public-url {public_url}")
    return f"""[Unit]
Description=workshop-kit booth (visitor page on port {port})
After=network-online.target
Wants=network-online.target

[Service]
User={user}
ExecStart={python} -m workshop_kit booth {' '.join(flags)}
Restart=always
RestartSec=3
Environment=HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False WORKSHOP_KIT_OFFLINE=1
MemoryMax=6G

[Install]
WantedBy=multi-user.target
"""
