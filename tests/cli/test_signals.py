"""A SIGTERM during a profile runs the `finally` that tears trials down (checked in a real process)."""

import subprocess
import sys
import textwrap


def test_sigterm_runs_finally_blocks(tmp_path):
    marker = tmp_path / "cleaned"
    code = textwrap.dedent(f"""
        import os, signal, time
        from advisor.cli.signals import terminate_as_interrupt
        try:
            with terminate_as_interrupt():
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(5)
                finally:
                    open({str(marker)!r}, "w").write("torn down")
        except KeyboardInterrupt:
            raise SystemExit(130)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 130, done.stderr
    assert marker.read_text() == "torn down"
