"""The daily budget ledger (design 8.1-8.3), shared by every process through the state database.

Call :meth:`BudgetLedger.reserve` before a provider call, :meth:`~BudgetLedger.settle` with the actual
cost after it and :meth:`~BudgetLedger.release` if it failed. A reservation is checked against the
provider's allocation and the daily total inside one ``BEGIN IMMEDIATE`` transaction, so processes
reserving at once can never overspend together. Reservations whose process died, or whose heartbeat
is older than ``reservation_ttl_seconds``, stop counting and are marked expired lazily: by snapshots,
and by a reservation that they would otherwise refuse. The day is the calendar day in ``settings.timezone``;
a reservation settles into the day it was made for.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from sqlite3 import Connection, Row
from zoneinfo import ZoneInfo

from router_core.budget_alerts import claim_alerts
from router_core.budget_amounts import check_amount, check_recorded_spend, fits
from router_core.budget_limits import BudgetLimits
from router_core.budget_text import budget_exceeded_message
from router_core.clock import Clock
from router_core.errors import BudgetExceeded, InvalidRequest, StateUnusable
from router_core.models import BudgetAlert, BudgetSnapshot, ProviderBudget
from router_core.settings import BudgetSettings
from router_core.slot_init import slot_init
from router_core.store import ledger, windows
from router_core.store.db import Database
from router_core.store.holders import holder_alive
from router_core.store.ledger import to_micro, to_usd
from router_core.store.snapshot_cache import Validity

logger = logging.getLogger(__name__)

_KEEP_FINISHED_DAYS = 7
CHARGED_DEAD_CALL = "charged at the estimate: its process ended while the provider was answering"
UNCHARGED_DEAD_CALL = "charged while its process was silent, then released: the call cost nothing"


@slot_init
@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    provider: str
    usd: float
    day: str  # budget day (ISO date in the ledger's time zone) the amount counts against


class BudgetLedger:
    """Per-provider and total daily spend, with reservations that expire with their process."""

    prune_every = 100  # reservations between two prunes of finished rows, per process
    full_prune_every = 50  # prunes between two that look at every row (the first of a process is one)

    def __init__(self, db: Database, clock: Clock, settings: BudgetSettings, holder: str,
                 budget_tier: frozenset[str] | None = None) -> None:  # whom an alert advises (design 8.3)
        self._db, self._clock, self._holder = db, clock, holder
        self._limits = BudgetLimits.of(settings, budget_tier)
        self.generation = 0  # counts configure() calls: a cached snapshot is of one configuration
        self._reserves_since_prune, self._prunes = self.prune_every, 0
        self._calendar: tuple[ZoneInfo | None, int, str, float] = (None, -1, "", 0.0)  # (zone, quarter hour, day, reset)
        self._expire_later: list[str] = []
        # Released, but the write failed (the database locked past its timeout, a full disk): the next heartbeat
        # releases them rather than refreshing them, which held their amounts for as long as the process ran.
        self._released: set[str] = set()
        # Settled (reservation id -> actual USD), but the write failed: the reservation stays live, heart-beaten, so
        # its amount goes on counting, until this process's next heartbeat or reservation settles it.
        self._unsettled: dict[str, float] = {}
        self.on_dead_calls: Callable[[list[ledger.DeadCallCharge]], object] | None = None  # after their commit

    @property
    def settings(self) -> BudgetSettings:
        return self._limits.settings

    def configure(self, settings: BudgetSettings) -> None:
        """Count against ``settings`` from now on (the configuration was edited while this process runs).
        The limits are replaced as one object: a snapshot or a reservation taken meanwhile sees the old
        ones or the new ones, never a mix."""
        self._limits = BudgetLimits.of(settings, self._limits.budget_tier)
        self.generation += 1

    def day(self, at: float | None = None) -> str:
        """The budget day (ISO date in the ledger's time zone) at ``at`` (default now)."""
        return self.day_and_reset(self._clock.now() if at is None else at)[0]

    def next_reset_at(self) -> float:
        return self.day_and_reset(self._clock.now())[1]

    def day_and_reset(self, at: float) -> tuple[str, float]:  # (the day at ``at``, when it ends): the usage calendar
        # Every UTC offset in use is a multiple of 15 minutes, so the local date and the next midnight are
        # the same throughout a UTC quarter hour: computed once per quarter hour, not per call.
        quarter, tz = int(at // 900), self._limits.tz
        cached_tz, cached_quarter, day, reset = self._calendar
        if quarter != cached_quarter or tz is not cached_tz:
            today = datetime.fromtimestamp(at, tz).date()
            day = today.isoformat()
            reset = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz).timestamp()
            self._calendar = (tz, quarter, day, reset)
        return day, reset

    # -- reads ---------------------------------------------------------------------------------

    def snapshot(self, validity: Validity | None = None) -> BudgetSnapshot:
        """Allocation, spend and live reservations per provider today, and the alerts passed.

        Reservations found stale stop counting at once and are marked expired after the read (by
        :meth:`maintain` when the snapshot is taken inside a caller's read transaction). ``validity``
        learns when this snapshot stops being exact (store/snapshot_cache.py).
        """
        now, limits = self._clock.now(), self._limits
        day, reset = self.day_and_reset(now)
        with self._db.read() as conn:
            live = ledger.live_reservations(conn)
            stale = self._stale(live, now)
            if validity is not None:
                self._note_validity(validity, live, stale, reset)
            totals = ledger.day_totals(conn, day, exclude=[row for row in live if row["id"] in stale] if stale else ())
            passed = limits.any_alert_passed(totals)
            fired = ledger.fired_alerts(conn, day, limits.total_micro) if passed else []
        if stale:
            self._expire_later.extend(stale)
            self.maintain()
        spent, reserved = totals.spent, totals.reserved
        allocations = limits.allocations
        unconfigured = (spent.keys() | reserved.keys()) - limits.allocated  # spend recorded for another name
        if unconfigured:
            allocations += tuple((name, 0.0) for name in sorted(unconfigured))
        providers = tuple(
            ProviderBudget(name, allocation, to_usd(spent.get(name, 0)), to_usd(reserved.get(name, 0)))
            for name, allocation in allocations
        )
        return BudgetSnapshot(
            day=day, timezone=limits.settings.timezone, total=limits.settings.daily_total, providers=providers,
            next_reset_at=reset, alerts=limits.passed_alerts(totals, fired) if passed else (),
            thresholds=limits.thresholds,
        )

    @property
    def maintenance_due(self) -> bool:  # whether maintain() would write
        return bool(self._expire_later)

    def maintain(self) -> None:
        """Mark expired the stale reservations a snapshot found (outside any transaction)."""
        if not self._expire_later or self._db.in_transaction:
            return
        stale, self._expire_later = self._expire_later, []
        with self._db.transaction() as conn:
            self._expire(conn, stale)

    def can_afford(self, provider: str, usd: float) -> bool:
        """Whether a reservation of ``usd`` would succeed now (a hint; only reserve() decides)."""
        return fits(usd, self.left_for(provider)[0])

    def left_for(self, provider: str) -> tuple[float, BudgetSnapshot]:
        """What a reservation for ``provider`` may take now (its allocation's rest or the total's, the smaller), with
        the snapshot it is read from; read in a read transaction, so that the stale reservations the read finds are
        expired after it by the next decision's maintenance, not here with a blocking write."""
        with self._db.read():
            snap = self.snapshot()
        return min(snap.provider(provider).remaining, snap.remaining), snap

    def spend_by_day(self, days: int) -> dict[str, dict[str, float]]:
        """Spend per provider for the last ``days`` budget days (today included), oldest first."""
        limits = self._limits
        today = datetime.fromtimestamp(self._clock.now(), limits.tz).date()
        span = [(today - timedelta(days=i)).isoformat() for i in range(max(days, 0) - 1, -1, -1)]
        if not span:
            return {}
        configured = [name for name, _ in limits.allocations]
        result = {day: dict.fromkeys(configured, 0.0) for day in span}
        with self._db.read() as conn:
            for row in ledger.spend_since(conn, span[0]):
                # A later day than today's is another process's in a zone ahead, or before a clock step back.
                if row["day"] in result:
                    result[row["day"]][row["provider"]] = to_usd(row["micro"])
        return result

    # -- writes --------------------------------------------------------------------------------

    def reserve(self, provider: str, usd: float, *, task_id: str | None = None, calling: float = 0.0) -> Reservation:
        """Hold ``usd`` against today's allocation and total, or raise BudgetExceeded. ``calling``: the estimate of
        a call that goes out under it at once (as :meth:`calling` would say, in one statement fewer)."""
        check_amount(usd, "estimated cost")
        check_amount(calling, "call estimate")
        now = self._clock.now()
        day = self.day_and_reset(now)[0]
        need, limits = to_micro(usd), self._limits
        reservation, owned = None, not self._db.in_transaction
        with self._db.transaction() as conn:
            # first: a settlement that failed frees its reservation's rest
            unsettled = self._settle_unsettled(conn) if self._unsettled else None
            refusal = limits.refusal(ledger.day_totals(conn, day), provider, need)
            if refusal is not None:  # stale reservations only make this stricter: drop them and look again
                stale = self._stale(ledger.live_reservations(conn), now)
                if stale:
                    self._expire(conn, stale)
                    refusal = limits.refusal(ledger.day_totals(conn, day), provider, need)
            if refusal is None:
                rid = ledger.new_reservation_id(now)
                ledger.insert_reservation(conn, rid, day, provider, need, task_id, self._holder, now,
                                          to_micro(calling) if calling > 0 else 0)
                self._maybe_prune(conn, now)
                reservation = Reservation(id=rid, provider=provider, usd=to_usd(need), day=day)
        # Committed (a caller's transaction may yet roll back: settled again, at no cost, next time).
        if owned and unsettled:
            self._forget_settled(unsettled)
        if reservation is not None:
            return reservation
        scope, limit, committed, reserved, held = refusal
        left = max(0, limit - committed)
        message = budget_exceeded_message(
            scope=scope, provider=provider, left=left, limit=limit, need=need, reserved=reserved,
            timezone=limits.settings.timezone, seconds_to_reset=self.next_reset_at() - now, held=held,
        )
        raise BudgetExceeded(message, provider=provider, needed=to_usd(need), remaining=to_usd(left), held=held)

    def settle(self, reservation: str | Reservation, actual_usd: float) -> None:
        """Turn a reservation (its id, or the one :meth:`reserve` returned) into spend at ``actual_usd``; settling
        twice changes nothing. Given the Reservation, a live one is settled without reading its row back.

        A reservation that was released or had expired is still settled (the money was spent). One whose call
        was charged at its estimate when it fell silent (:meth:`_expire`) is corrected to the actual cost: its
        holder was alive after all (a laptop that slept through the call), and the answer says what it cost.
        If the write fails (StateUnusable: the database locked past its timeout, a full disk), the error
        propagates, the reservation stays live and counted, and this process's next heartbeat or reservation
        settles it; a caller whose own transaction held the settlement and failed says so with
        :meth:`settle_later`.
        """
        check_amount(actual_usd, "actual cost")
        known = reservation if isinstance(reservation, Reservation) else None
        reservation_id = known.id if known is not None else reservation
        try:
            with self._db.transaction() as conn:
                if not self._settle(conn, reservation_id, actual_usd, known):
                    raise InvalidRequest(f"unknown budget reservation {reservation_id!r}")
        except StateUnusable:
            self._unsettled[reservation_id] = actual_usd
            raise

    def settle_later(self, reservation_id: str, actual_usd: float) -> None:
        """The settlement of ``reservation_id`` at ``actual_usd`` could not be written (the transaction holding
        it failed): the reservation stays live, so its amount goes on counting, and this process's next heartbeat
        or reservation settles it. Settling is idempotent, so a write that did commit after all is not charged
        twice."""
        check_amount(actual_usd, "actual cost")
        self._unsettled[reservation_id] = actual_usd

    def _settle(
        self, conn: Connection, reservation_id: str, actual_usd: float, known: Reservation | None = None
    ) -> bool:
        """:meth:`settle` in ``conn``; False if the reservation is unknown. ``known``: the reservation as
        :meth:`reserve` made it, whose day and provider no statement changes, so a live one's row is not read."""
        if known is not None and ledger.settle_if_live(conn, reservation_id):
            day, provider = known.day, known.provider
        else:
            row = ledger.settle_live(conn, reservation_id)
            if row is None:
                row = ledger.reservation(conn, reservation_id)
                if row is None:  # settled or released, its row gone (schema 16); or pruned, or unknown
                    row = ledger.finished(conn, reservation_id)
                    if row is None or row["note"] == "settled":
                        return row is not None
                    logger.warning("settling reservation %s that was released", reservation_id)
                elif row["status"] == "settled":
                    for charged in (CHARGED_DEAD_CALL, UNCHARGED_DEAD_CALL):
                        ledger.correct_charge(conn, reservation_id, charged, to_micro(actual_usd), "settled")
                    return True
                else:
                    logger.warning("settling reservation %s that was %s", reservation_id, row["status"])
                    conn.execute("UPDATE budget_reservations SET status = 'settled' WHERE id = ?", (reservation_id,))
            day, provider = row["day"], row["provider"]
        now = self._clock.now()
        ledger.insert_spend(conn, day, provider, to_micro(actual_usd), now, reservation_id=reservation_id, note="settled")
        return True

    def _settle_unsettled(self, conn: Connection) -> dict[str, float]:
        """Settle in ``conn`` the settlements whose write failed; those settled, to forget once ``conn`` commits."""
        unsettled = dict(self._unsettled)
        for rid, usd in unsettled.items():
            if self._settle(conn, rid, usd):
                logger.info("settled budget reservation %s at $%.6f, its settlement having failed", rid, usd)
            else:  # pruned meanwhile (days later): nothing left to settle
                logger.warning("budget reservation %s to settle at $%.6f is gone from the ledger", rid, usd)
        return unsettled

    def _forget_settled(self, settled: dict[str, float]) -> None:
        for rid, usd in settled.items():
            if self._unsettled.get(rid) == usd:  # a heartbeat's thread may forget it too: pop, not del
                self._unsettled.pop(rid, None)

    def release_later(self, reservation_id: str) -> None:
        """Release ``reservation_id`` at the next heartbeat, unless a :meth:`release` does first (one that may fail)."""
        self._released.add(reservation_id)

    def release(self, reservation_id: str) -> None:
        """Give a live reservation back (the call failed and cost nothing); idempotent. One whose call was charged
        at its estimate while its holder was silent (:meth:`_expire`) has that charge taken back: its holder was
        alive after all, and the call it had on the wire came back unbilled. If the write fails, the error
        propagates and the next heartbeat releases it; so does it if the caller's transaction this one joined (a
        settlement's) rolls back or fails to commit."""
        self._released.add(reservation_id)
        with self._db.transaction() as conn:
            self._release(conn, reservation_id)
        self._db.after_commit(functools.partial(self._released.discard, reservation_id))

    def _release(self, conn: Connection, reservation_id: str) -> None:
        ledger.release_live(conn, reservation_id, self._clock.now())
        ledger.correct_charge(conn, reservation_id, CHARGED_DEAD_CALL, 0, UNCHARGED_DEAD_CALL)

    def record_spend(self, provider: str, usd: float, *, note: str = "") -> None:
        """Spend without a reservation (manual entry, or a cost learned after the fact)."""
        check_recorded_spend(usd, "spend")
        now = self._clock.now()
        with self._db.transaction() as conn:
            ledger.insert_spend(conn, self.day(now), provider, to_micro(usd), now, reservation_id=None, note=note)

    def heartbeat(self) -> None:
        """Refresh this holder's live reservations so the TTL does not expire them; release or settle first those
        whose release or settlement failed."""
        released = list(self._released)
        with self._db.transaction() as conn:
            for rid in released:
                self._release(conn, rid)
            settled = self._settle_unsettled(conn)
            conn.execute(
                "UPDATE budget_reservations SET heartbeat_at = ? WHERE holder = ? AND status = 'live'",
                (self._clock.now(), self._holder),
            )
        self._db.after_commit(functools.partial(self._released.difference_update, released))
        self._db.after_commit(functools.partial(self._forget_settled, settled))

    def claim_alerts(self) -> list[BudgetAlert]:
        """Thresholds that today's spend has passed under this daily total and no process has claimed yet under
        it (each fires once a day per total: a total raised during the day announces them again, budget_alerts.py)."""
        now = self._clock.now()
        return claim_alerts(self._db, self._limits, self.day(now), now, self._holder)

    # -- helpers -------------------------------------------------------------------------------

    def _stale(self, live: list[Row], now: float) -> list[str]:
        cutoff = now - self._limits.settings.reservation_ttl_seconds
        alive: dict[str, bool] = {self._holder: True}
        stale = []
        for row in live:
            holder = row["holder"]
            if holder not in alive:
                alive[holder] = holder_alive(holder)
            if row["heartbeat_at"] < cutoff or not alive[holder]:
                stale.append(row["id"])
        return stale

    def _note_validity(self, validity: Validity, live: list[Row], stale: list[str], reset: float) -> None:
        validity.changes_at(reset)  # a new budget day
        ttl, gone = self._limits.settings.reservation_ttl_seconds, set(stale)
        for row in live:
            if row["id"] not in gone:
                validity.changes_at(row["heartbeat_at"] + ttl)  # _stale: silent past the TTL
                if row["holder"] != self._holder:
                    validity.assumes_alive(row["holder"])

    def _expire(self, conn: Connection, stale: list[str]) -> None:
        """Release the stale reservations, except those whose holder died (or fell silent) with a call on the
        wire: the provider goes on answering a request whose sender was killed, and bills it, so that call is
        charged at its estimate, as a call cancelled in flight is (execution/attempts.py)."""
        if stale:
            charged = ledger.charge_calling(conn, stale, self._clock.now(), CHARGED_DEAD_CALL)
            ledger.set_status(conn, stale, "expired")
            dead = {h for h in ledger.holders_of(conn, stale) if h != self._holder and not holder_alive(h)}
            windows.restamp_in_flight(conn, dead, self._clock.now())  # else full till their calls time out
            logger.info("expired %d budget reservation(s) of dead or silent processes, %d of them charged at the "
                        "estimate of the call they had in flight", len(stale), len(charged))
            if charged and self.on_dead_calls is not None:  # audited (dead_calls.py): the dead wrote no line
                self._db.after_commit(functools.partial(self.on_dead_calls, charged))

    def calling(self, reservation_id: str, usd: float) -> bool:
        """A call of ``usd`` (its estimate) on the wire under this reservation (0: none now); joins the caller's
        transaction. Charged if this process dies before it answers (see :meth:`_expire`). A call going out
        refreshes the reservation's heartbeat: nothing does while it runs, and the TTL is only twice the request
        timeout, so a call sent on a heartbeat beaten a while ago (a task that waited for room) went stale mid-call.
        Whether the reservation was still live: False if another process found it stale and released it."""
        with self._db.transaction() as conn:
            return ledger.set_calling(conn, reservation_id, to_micro(usd) if usd > 0 else 0, self._clock.now())

    def _maybe_prune(self, conn: Connection, now: float) -> None:
        """Drop the finished rows past the week kept: by their ids' time (ledger.prune_finished), now and then all."""
        self._reserves_since_prune += 1
        if self._reserves_since_prune >= self.prune_every:
            tz, full = self._limits.tz, self._prunes % self.full_prune_every == 0
            before = datetime.fromtimestamp(now - _KEEP_FINISHED_DAYS * 86400, tz).date()
            began = None if full else datetime.combine(before, time(0), tzinfo=tz).timestamp()
            ledger.prune_finished(conn, before.isoformat(), made_before=began)
            self._reserves_since_prune, self._prunes = 0, self._prunes + 1
