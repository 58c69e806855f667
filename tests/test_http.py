"""The one HTTP client (connector/http.py), against a loopback server."""
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from creditguard.connector import http


@pytest.fixture
def server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302 if self.path.startswith("/moved") else 200)
            self.send_header("Location", "/elsewhere")
            self.send_header("Total-Pages", "3")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_request_never_logs_its_url(server, caplog):
    caplog.set_level(logging.DEBUG)
    with http.client(timeout=5) as client:
        answer = client.get(f"{server}/v1/covers?access_token=s3cret")
    assert answer.status_code == 200 and answer.headers.get("total-pages") == "3"
    assert "s3cret" not in caplog.text


def test_a_redirect_is_not_followed(server):
    with http.client(timeout=5) as client:
        assert client.get(f"{server}/moved").status_code == 302


def test_a_closed_port_is_unreachable_with_its_reason():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with http.client(timeout=5, connect_timeout=2) as client, pytest.raises(http.Unreachable) as error:
        client.get(f"http://127.0.0.1:{port}/")
    assert http.reason(error.value) == "Connection refused"
