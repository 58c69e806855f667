"""The README's "Running against Tryton", followed as written: `make tryton` (examples/tryton/serve.py) keeps a
Tryton with demo books running, and every command of step 3 works with the config it wrote."""
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, interruptible

CONFIG = '.creditguard/tryton/creditguard.toml'


def readme_commands():
    section = (REPO / 'README.md').read_text().split('## Running against Tryton', 1)[1].split('\n## ', 1)[0]
    step3 = section.split('3. **Run it**', 1)[1]
    block = re.search(r'```sh\n(.*?)```', step3, re.S).group(1)
    return [line.split('#', 1)[0].strip() for line in block.splitlines() if line.strip().startswith('.venv/')]


@pytest.fixture(scope='module')
def served():
    """`make tryton`, as a user starts it (the Makefile target runs this script with the project's venv)."""
    proc = subprocess.Popen([sys.executable, 'examples/tryton/serve.py'], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith('config: '):
                assert line.split(': ', 1)[1].strip() == CONFIG
                break
        assert lines and lines[-1].startswith('config: '), ''.join(lines)
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_every_command_of_the_readme_runs_against_make_tryton(served, tmp_path):
    commands = readme_commands()
    assert len(commands) == 6 and commands[-1].endswith('--every 60')
    for command in commands:
        argv = shlex.split(command.replace('creditguard.toml', str(REPO / CONFIG)))
        argv[0] = str(REPO / argv[0])
        if '--every' in argv:
            proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    preexec_fn=interruptible)
            first = proc.stdout.readline()
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            assert first.startswith('Cycle ') and proc.returncode == 130 and 'Traceback' not in err, (first, err)
            continue
        proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (command, proc.stderr)
    assert (tmp_path / 'snap.json').exists()
