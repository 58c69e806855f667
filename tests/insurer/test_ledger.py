"""The store's insurer side: a decision recorded once, the cover in force on a date, requests keyed once."""
import datetime as dt
from decimal import Decimal

from creditguard.connector.insurer.ledger import Ledger
from creditguard.connector.cycle.store import Store
from creditguard.mappings.insurer import CoverDecision

UTC = dt.timezone.utc


def decision(id, status, amount, day, effective, request_id=None, **extra):
    return CoverDecision(decision_id=id, buyer_id="900001", request_id=request_id, status=status, raw_status="x",
                         amount=Decimal(amount), currency="EUR", decided_at=dt.datetime(2026, 11, day, tzinfo=UTC),
                         effective_date=effective, **extra)


def test_a_reduction_with_notice_leaves_the_earlier_cover_until_its_effective_date(tmp_path):
    with Store(tmp_path / "s.sqlite") as store, store.transaction():
        ledger = Ledger(store)
        assert ledger.add_decision(decision("D1", "approved", 15000, 1, dt.date(2026, 11, 1), "J1"), "7")
        assert not ledger.add_decision(decision("D1", "approved", 15000, 1, dt.date(2026, 11, 1), "J1"), "7")
        ledger.add_decision(decision("D2", "partial", 10000, 2, dt.date(2026, 12, 2)), "7")

        before = ledger.cover_on("7", dt.date(2026, 12, 1))
        assert (before.status, before.amount, before.reduced) == ("approved", Decimal(15000), False)
        assert before.next_change["decision_id"] == "D2"
        after = ledger.cover_on("7", dt.date(2026, 12, 2))
        assert (after.status, after.amount, after.reduced, after.next_change) == (
            "partial", Decimal(10000), True, None)
        assert ledger.cover_on("8", dt.date(2026, 12, 2)) is None


def test_an_unreadable_decision_is_kept_but_changes_no_cover(tmp_path):
    with Store(tmp_path / "s.sqlite") as store, store.transaction():
        ledger = Ledger(store)
        odd = CoverDecision(decision_id="D9", buyer_id="900001", status="unknown", raw_status="Frobnicated",
                            amount=Decimal(5000), currency="EUR", raw={"coverStatusCode": "Frobnicated"})
        ledger.add_decision(odd, "7")
        assert ledger.cover_on("7", dt.date(2026, 12, 2)) is None
        kept, = ledger.decisions(review=True)
        assert kept["raw_status"] == "Frobnicated" and "Frobnicated" in kept["raw"]


def test_a_request_key_is_used_once_and_a_waiting_request_makes_the_customer_pending(tmp_path):
    with Store(tmp_path / "s.sqlite") as store, store.transaction():
        ledger = Ledger(store)
        assert ledger.add_request("k/7:15000", "7", "Acme", Decimal(15000), "EUR", "queued")
        assert not ledger.add_request("k/7:15000", "7", "Acme", Decimal(15000), "EUR", "queued")
        assert ledger.pending_customers() == {"7"}
        ledger.update_request("k/7:15000", status="decided")
        assert ledger.pending_customers() == set() and ledger.request_by_key("k/7:15000")["status"] == "decided"
