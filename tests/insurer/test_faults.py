"""The client under the insurer's failures: idempotent replays, token expiry, 429, 5xx, timeouts, bad answers."""
from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from creditguard.connector.insurer import IdempotencyConflict, RetryPolicy
from creditguard.connector.insurer.simulator import Fault
from creditguard.mappings.errors import ConfigError, TransientError

from .conftest import API_KEY

pytestmark = pytest.mark.insurer

COVERS = "POST /riskinfo/v3/covers"


def ask(client, key="c42-50000", amount="50000", buyer="100001"):
    return client.request_cover(buyer, Decimal(amount), "EUR", idempotency_key=key)


def test_the_same_key_and_body_replays_the_original_answer(client, sim):
    first = ask(client)
    again = ask(client)
    assert again.id == first.id and again.decision.decision_id == first.decision.decision_id
    assert sim.stats()["cover_requests"] == 1


def test_the_same_key_with_another_body_is_refused(client, sim):
    ask(client)
    with pytest.raises(IdempotencyConflict) as caught:
        ask(client, amount="60000")
    assert caught.value.status == 422
    assert sim.stats()["cover_requests"] == 1


def test_an_answer_lost_after_the_insurer_acted_is_recovered_by_the_retry(client, sim, waits):
    sim.add_faults([Fault(on=COVERS, kind="drop_after")])
    request = ask(client)
    assert request.state == "decided" and request.decision.status == "approved"
    assert sim.stats()["cover_requests"] == 1 and len(waits) == 1


def test_a_crash_before_recording_replays_with_the_same_key_and_never_files_twice(sim, make_client):
    sim.add_faults([Fault(on=COVERS, kind="drop_after")])
    once = make_client(sim, retry=RetryPolicy(attempts=1))
    with pytest.raises(TransientError):
        ask(once, amount="150000")                      # sent, the insurer filed it, the answer never came back
    assert sim.stats()["cover_requests"] == 1
    next_cycle = make_client(sim)                       # a new process: new token, same idempotency key
    request = ask(next_cycle, amount="150000")
    assert request.state == "pending"
    assert sim.stats()["cover_requests"] == 1 and sim.stats()["open_requests"] == 1


def test_an_expired_token_gets_exactly_one_new_token_and_one_repeat(client, sim):
    ask(client)
    assert sim.stats()["tokens_issued"] == 1
    sim.advance(seconds=3601)                           # the token's hour is over; it cannot be renewed
    assert client.buyer_grade("100001").grade == 4
    assert sim.stats()["tokens_issued"] == 2
    assert client.buyer_grade("100002").grade == 6
    assert sim.stats()["tokens_issued"] == 2


def test_a_token_refused_twice_is_a_config_error_not_a_loop(client, sim):
    ask(client)
    sim.add_faults([Fault(on="GET /riskinfo/v3/companies", kind="status", status=401, times=5)])
    with pytest.raises(ConfigError) as caught:
        client.buyer_grade("100001")
    assert "fresh token" in str(caught.value)
    assert sim.stats()["tokens_issued"] == 2


def test_a_rejected_api_key_is_a_config_error_without_the_key(sim, make_client):
    with pytest.raises(ConfigError) as caught:
        ask(make_client(sim, api_key="wrong-" + API_KEY))
    assert "refused the API key" in str(caught.value) and API_KEY not in str(caught.value)


def test_429_waits_as_told(client, sim, waits):
    sim.add_faults([Fault(on=COVERS, kind="status", status=429, retry_after=3)])
    assert ask(client).decision.status == "approved"
    assert waits == [3.0]
    assert sim.stats()["cover_requests"] == 1


def test_429_asking_for_too_long_a_wait_is_a_transient_error_at_once(client, sim, waits):
    sim.add_faults([Fault(on=COVERS, kind="status", status=429, retry_after=600)])
    with pytest.raises(TransientError) as caught:
        ask(client)
    assert "600 s" in str(caught.value) and waits == []


def test_5xx_is_retried_with_growing_jittered_waits(client, sim, waits):
    sim.add_faults([Fault(on=COVERS, kind="status", status=503, times=2)])
    assert ask(client).decision.status == "approved"
    assert waits == [pytest.approx(0.0375), pytest.approx(0.075)]   # half the ceiling + jitter 0.5 of the other half
    assert sim.stats()["cover_requests"] == 1


def test_5xx_retries_are_bounded(client, sim, waits):
    sim.add_faults([Fault(on=COVERS, kind="status", status=500, times=50)])
    with pytest.raises(TransientError) as caught:
        ask(client)
    assert "after 4 tries" in str(caught.value) and len(waits) == 3
    assert sim.stats()["cover_requests"] == 0


def test_retries_stop_within_the_total_time_budget(sim, make_client, waits):
    client = make_client(sim, retry=RetryPolicy(attempts=100, backoff=1.0, backoff_max=1.0, total_seconds=3))
    sim.add_faults([Fault(on=COVERS, kind="status", status=503, times=50)])
    with pytest.raises(TransientError):
        ask(client)
    assert sum(waits) <= 3


def test_a_slow_answer_times_out_and_the_retry_gets_the_original(sim, make_client):
    client = make_client(sim, timeout=0.2)
    sim.add_faults([Fault(on=COVERS, kind="slow", seconds=0.5)])
    request = ask(client)
    assert request.decision.status == "approved"
    assert sim.stats()["cover_requests"] == 1


def test_a_dropped_connection_is_retried(client, sim, waits):
    sim.add_faults([Fault(on="GET /riskinfo/v3/jobs", kind="drop")])
    assert ask(client).state == "decided" and len(waits) == 1


def test_a_malformed_answer_is_retried_then_a_transient_error(client, sim):
    sim.add_faults([Fault(on=COVERS, kind="malformed")])
    assert ask(client).state == "decided"
    sim.add_faults([Fault(on="GET /riskinfo/v3/companies", kind="malformed", times=10)])
    with pytest.raises(TransientError) as caught:
        client.buyer_grade("100001")
    assert "not JSON" in str(caught.value)


def test_an_unreadable_job_answer_is_kept_raw_and_flagged(client, sim):
    ask(client)
    sim.add_faults([Fault(on="GET /riskinfo/v3/jobs", kind="status", status=200,
                          body='{"jobId": "J9", "jobStatusCode": "Mulling", "requestedAmount": "lots"}')])
    request = client.request_state("J9")
    assert (request.state, request.raw_state, request.amount) == ("unknown", "Mulling", None)
    assert request.needs_review and request.raw["requestedAmount"] == "lots"


def test_secrets_never_reach_logs_errors_reprs_or_stored_answers(client, sim, make_client, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    request = ask(client)
    sim.advance(seconds=3601)
    client.request_state(request.id)                       # a token renewal on the way
    sim.add_faults([Fault(on=COVERS, kind="status", status=503, times=10)])
    with pytest.raises(TransientError) as transient:
        ask(client, key="other")
    with pytest.raises(ConfigError) as config:
        ask(make_client(sim, api_key="wrong-" + API_KEY), key="third")
    token = client.transport.token()
    texts = [caplog.text, str(transient.value), str(config.value), repr(client), repr(client.transport),
             repr(request), str(request.raw), str(request.decision.raw), repr(sim.engine.scenario),
             (tmp_path / "sim-state.json").read_text()]
    for text in texts:
        assert API_KEY not in text and token not in text
    assert "Bearer" not in caplog.text


def test_a_timeout_counts_against_the_total_time_budget(sim, make_client, waits):
    client = make_client(sim, timeout=0.2, retry=RetryPolicy(attempts=10, backoff=0.05, total_seconds=0.3))
    sim.add_faults([Fault(on=COVERS, kind="slow", seconds=0.4, times=10)])
    with pytest.raises(TransientError) as caught:
        ask(client)
    assert "no answer within 0.2 s" in str(caught.value) and len(waits) <= 1


def test_the_simulators_own_rate_limit_answers_429_with_retry_after(start_sim, make_client, waits):
    sim = start_sim(rate_limit={"requests": 4, "per_seconds": 60})
    client = make_client(sim, retry=RetryPolicy(attempts=3, max_retry_after=120, total_seconds=1000))
    ask(client)                                         # token, request, job, cover: the 4 calls allowed
    with pytest.raises(TransientError) as caught:
        client.buyer_grade("100001")
    assert "rate limited (HTTP 429)" in str(caught.value)
    assert len(waits) == 2 and all(50 <= wait <= 60 for wait in waits)
