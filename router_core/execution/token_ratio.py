"""How far a provider's real token counts run above our estimate, learned from its answers and shared.

Pacing admits a request on its estimated tokens (characters / ``chars_per_token`` plus the expected
output). Code and CJK text run to two or three times that, so against a tight tokens-per-window limit
every request paced on the raw estimate could overfill the provider's window and be refused. Each answer
compares what the provider counted with what we estimated; the running ratio (an average that follows
a change within a few answers) scales later estimates up. It never scales them down (an estimate above
the real count only paces conservatively) and never past ``MAX_RATIO`` (one odd answer is not a trend).
"""

from __future__ import annotations

import math
from sqlite3 import Connection

MAX_RATIO = 8.0
WEIGHT_OF_LATEST = 0.5  # how much one answer moves the ratio


def scaled(ratio: float | None, tokens: int) -> int:
    """``tokens`` (an estimate) scaled by the ratio learned for its provider (None: none learned), as pacing
    reads it from ``execution_token_ratios`` in its transaction."""
    if ratio is None or not ratio > 1.0:
        return tokens
    return math.ceil(tokens * min(ratio, MAX_RATIO))


def learn(conn: Connection, provider: str, estimated: int, actual: int) -> None:
    """Fold one answer's actual tokens against its estimate into the provider's ratio."""
    if estimated <= 0 or actual <= 0:
        return
    seen = min(actual / estimated, MAX_RATIO)
    if seen <= 1.0:  # the usual answer (estimates count the expected output generously): a write only where
        conn.execute(  # a ratio above 1 is in use, so most settlements write no page for it
            "UPDATE execution_token_ratios SET ratio = ? * ? + (1 - ?) * ratio WHERE provider = ? AND ratio > 1.0",
            (WEIGHT_OF_LATEST, seen, WEIGHT_OF_LATEST, provider),
        )
        return
    conn.execute(
        "INSERT INTO execution_token_ratios (provider, ratio) VALUES (?, ?) ON CONFLICT (provider) DO UPDATE"
        " SET ratio = ? * excluded.ratio + (1 - ?) * execution_token_ratios.ratio",
        (provider, seen, WEIGHT_OF_LATEST, WEIGHT_OF_LATEST),
    )
