"""A simulated trade-credit insurer speaking the Allianz Trade shaped API, on loopback, for tests and the demo.

    sim = Simulator(load_scenario("examples/insurer/scenario.yaml"), state_path="sim.json").start()
    client = AllianzTradeClient(sim.url, policy_id="P1", api_key=...)
    sim.advance(days=2)            # referred requests and scripted events fall due; tokens may expire
    sim.add_faults([Fault(kind="status", status=503)])
    sim.event(Event(buyer="100001", kind="reduce", amount=20000))
    sim.stop()

`creditguard insurer-sim --port N --scenario FILE --state FILE` runs the same server in the foreground; its
control endpoints (server.py) do over HTTP what the methods above do.
"""
from __future__ import annotations

import threading
from typing import Optional

from creditguard.connector.insurer.simulator.engine import Engine
from creditguard.connector.insurer.simulator.scenario import Event, Fault, Scenario, load_scenario, parse_scenario
from creditguard.connector.insurer.simulator.server import SimulatorServer

__all__ = ["Simulator", "Scenario", "Event", "Fault", "load_scenario", "parse_scenario"]


class Simulator:
    """The simulator server in a background thread; `url` once started."""

    def __init__(self, scenario: Scenario, state_path=None, port: int = 0):
        self.engine = Engine(scenario, state_path)
        self.port = port
        self.server: Optional[SimulatorServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "Simulator":
        self.server = SimulatorServer(self.engine, self.port)
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="insurer-simulator", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(timeout=5)
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- control ---------------------------------------------------------------------------------

    def advance(self, seconds: float = 0, *, days: float = 0):
        return self.engine.advance(seconds, days=days)

    def now(self):
        return self.engine.now()

    def add_faults(self, faults):
        self.engine.add_faults(list(faults))

    def event(self, event: Event) -> dict:
        return self.engine.event(event)

    def expire_tokens(self):
        self.engine.expire_tokens()

    def stats(self) -> dict:
        return self.engine.stats()
