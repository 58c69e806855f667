"""The simulator as its users meet it: restarts keep its state, the command line, control over HTTP, bad scenarios."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
from decimal import Decimal

import httpx
import pytest

from creditguard.connector.insurer import RequestAlreadyOpen
from creditguard.connector.insurer.simulator import load_scenario, parse_scenario
from creditguard.connector.insurer.simulator.engine import Engine
from creditguard.connector.insurer.simulator.server import SimulatorServer
from creditguard.mappings.errors import BadInput

from ..conftest import CLI, REPO, run_cli
from .conftest import API_KEY, scenario

pytestmark = pytest.mark.insurer


def test_a_restarted_simulator_remembers_requests_keys_and_tokens(start_sim, make_client, tmp_path):
    sim = start_sim()
    client = make_client(sim)
    pending = client.request_cover("100001", Decimal("150000"), "EUR", idempotency_key="k1")
    decided = client.request_cover("100002", Decimal("10000"), "EUR", idempotency_key="k2")
    sim.stop()
    again = start_sim()                                      # same state file, a new port
    client.transport.base_url = again.url
    assert client.request_state(decided.id).decision.amount == Decimal("6000")
    assert client.request_cover("100001", Decimal("150000"), "EUR", idempotency_key="k1").id == pending.id
    with pytest.raises(RequestAlreadyOpen):
        client.request_cover("100001", Decimal("99000"), "EUR", idempotency_key="k3")
    assert again.stats()["cover_requests"] == 2 and again.stats()["tokens_issued"] == 1     # the old token works
    again.advance(days=2)
    assert client.request_state(pending.id).state == "decided"


def test_the_example_scenario_is_valid():
    example = load_scenario(REPO / "examples" / "insurer" / "scenario.yaml")
    assert len(example.buyers) == 4 and example.clock.frozen


@pytest.mark.parametrize("text, where, message", [
    ("api_key: k\nbuyers:\n  - {id: '1', name: A, country: DEU}\n", ":3", "buyers.0.country"),
    ("api_key: k\nrules:\n  - decide: approve\n    percnt: 5\n", ":4", "rules.0.percnt: unknown field"),
    ("api_key: k\nrules:\n  - decide: maybe\n", ":3", "rules.0.decide"),
    ("buyers: []\n", ":1", "api_key"),
    ("api_key: k\nrules: [\n", ":3", "not valid YAML"),
])
def test_a_bad_scenario_is_named_with_file_line_and_field(tmp_path, text, where, message):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    proc = run_cli("insurer-sim", "--port", "0", "--scenario", path, check=2)
    assert f"{path}{where}:" in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_command_serves_and_is_controlled_over_http(tmp_path):
    path, state = tmp_path / "scenario.yaml", tmp_path / "state.json"
    doc = scenario()
    path.write_text(json.dumps(doc))                         # JSON is YAML
    proc = subprocess.Popen([*CLI, "insurer-sim", "--port", "0", "--scenario",
                             str(path), "--state", str(state)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline()
        assert banner.startswith("insurer simulator on http://127.0.0.1:"), proc.stderr.read()
        url = banner.split()[3]
        token = httpx.post(f"{url}/v1/idp/oauth2/authorize", json={"apiKey": API_KEY}, timeout=5).json()
        headers = {"Authorization": f"Bearer {token['access_token']}", "Idempotency-Key": "k1"}
        body = {"companyId": "100001", "creditLimitDetails": {"requestedAmount": 150000, "currencyCode": "EUR"}}
        job = httpx.post(f"{url}/riskinfo/v3/covers", json=body, headers=headers, timeout=5)
        assert job.status_code == 202
        job_url = f"{url}/riskinfo/v3/jobs/{job.json()['jobId']}"
        assert httpx.get(job_url, headers=headers, timeout=5).json()["jobStatusCode"] == "Pending"
        moved = httpx.post(f"{url}/_sim/clock", json={"advance_days": 2}, timeout=5).json()
        assert moved["now"].startswith("2026-11-28T09:00")
        assert httpx.get(job_url, headers=headers, timeout=5).status_code == 401        # the token expired
        faults = {"faults": [{"on": "GET /riskinfo", "kind": "status", "status": 503}]}
        assert httpx.post(f"{url}/_sim/faults", json=faults, timeout=5).status_code == 200
        token = httpx.post(f"{url}/v1/idp/oauth2/authorize", json={"apiKey": API_KEY}, timeout=5).json()
        headers["Authorization"] = f"Bearer {token['access_token']}"
        assert httpx.get(job_url, headers=headers, timeout=5).status_code == 503
        assert httpx.get(job_url, headers=headers, timeout=5).json()["jobStatusCode"] == "Processed"
        bad = httpx.post(f"{url}/_sim/events", json={"buyer": "nobody", "kind": "cancel"}, timeout=5)
        assert bad.status_code == 400 and "nobody" in bad.text
        assert httpx.get(f"{url}/_sim/state", timeout=5).json()["decisions"] == 1
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 143 and "terminated" in proc.stderr.read()
    saved = state.read_text()
    assert '"jobStatusCode": "Processed"' in saved and API_KEY not in saved
    proc.stdout.close(), proc.stderr.close()


def test_the_simulator_listens_on_loopback_only(sim):
    assert sim.url.startswith("http://127.0.0.1:")
    with pytest.raises(BadInput) as caught:
        SimulatorServer(sim.engine, 0, host="0.0.0.0")
    assert "loopback only" in str(caught.value)


def test_a_running_clock_follows_the_real_time_across_restarts(tmp_path):
    running = parse_scenario(scenario(clock={"frozen": False}))
    engine = Engine(running, tmp_path / "state.json")
    engine.advance(days=1)
    restarted = Engine(running, tmp_path / "state.json")
    expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert abs((restarted.now() - expected).total_seconds()) < 5
