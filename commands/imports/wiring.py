"""The clock every import and export function uses (ids and timestamps as the commands make them)."""

from __future__ import annotations

from commands.imports.logic import Clock
from shared.ids import new_id, utc_now

CLOCK = Clock(now=utc_now, new_id=new_id)
