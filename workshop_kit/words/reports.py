"""What the kit reports in words: printability verdicts, audio summaries and the doctor's check."""

from __future__ import annotations

REPORTS: dict[str, dict[str, str]] = {
}
