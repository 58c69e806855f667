"""The simulated insurer on a free loopback port, and an Allianz Trade client on it whose waits are recorded."""
from __future__ import annotations

import datetime as dt

import pytest

from creditguard.connector.insurer import AllianzTradeClient, RetryPolicy
from creditguard.connector.insurer.simulator import Simulator, parse_scenario

API_KEY = "sk-test-5ecret-VALUE-9f3a"
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)
BUYERS = [
    {"id": "100001", "name": "Acme GmbH", "country": "DE", "registration_id": "HRB 12345", "grade": 4},
    {"id": "100002", "name": "Bosporus Tekstil AS", "country": "TR", "grade": 6},
    {"id": "100003", "name": "Cantina Rossi Srl", "country": "IT", "grade": 5},
    {"id": "100004", "name": "Doomed Ltd", "country": "GB", "grade": 9},
    {"id": "100005", "name": "Ekspres Lojistik AS", "country": "TR", "grade": 3},
]
RULES = [
    {"when": {"buyer": "100003"}, "decide": "refuse", "reason": "payment experience unsatisfactory"},
    {"when": {"country_grade_min": 5}, "decide": "partial", "percent": 60},
    {"when": {"amount_above": 100000}, "decide": "approve", "referred": True},
    {"decide": "approve"},
]


def scenario(**changes) -> dict:
    doc = {"api_key": API_KEY, "clock": {"start": START.isoformat(), "frozen": True}, "token_ttl_seconds": 3600,
           "notice_days": 30, "referral_hours": 48, "country_grades": {"DE": 0, "TR": 5, "IT": 1, "GB": 0},
           "buyers": BUYERS, "rules": RULES}
    doc.update(changes)
    return doc


@pytest.fixture
def start_sim(tmp_path):
    """start_sim(**scenario changes) -> a started Simulator keeping its state in tmp_path; all stopped after."""
    started = []

    def start(state_path=tmp_path / "sim-state.json", **changes):
        sim = Simulator(parse_scenario(scenario(**changes)), state_path=state_path).start()
        started.append(sim)
        return sim
    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(start_sim):
    return start_sim()


class Waits(list):
    """The injected `sleep`: records each wait, sleeps none."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def waits():
    return Waits()


@pytest.fixture
def make_client(waits):
    def make(sim, **options):
        settings = dict(api_key=API_KEY, timeout=2.0, connect_timeout=1.0, sleep=waits, random=lambda: 0.5,
                        retry=RetryPolicy(attempts=4, backoff=0.05, backoff_max=0.2, total_seconds=5,
                                          max_retry_after=30))
        settings.update(options)
        return AllianzTradeClient(sim.url, "POL-1", **settings)
    return make


@pytest.fixture
def client(sim, make_client):
    return make_client(sim)
