"""`lms run` (and so `make run PORT=…`) on a port that is taken says so in one line."""

import os
import socket
import subprocess
import sys
from pathlib import Path


def test_a_taken_port_is_named_with_how_to_choose_another(tmp_path):
    lms = str(Path(sys.executable).parent / "lms")
    env = {**os.environ, "LMS_INSTANCE_PATH": str(tmp_path), "LMS_RUN_SCHEDULER": "0"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(  # noqa: S603 (our own console script)
            [lms, "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert f"make run PORT={port + 1}" in lines[0]
    assert "--port" in lines[0]
