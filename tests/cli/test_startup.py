"""The first sign of life comes before torch loads: options are checked torch-free, and on a terminal a
long command says it is starting while its modules load (about 2 s on a slow laptop)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import termios
import subprocess
import sys
from pathlib import Path

# Runs nystra's main in a fresh interpreter and writes <torch> on stderr the moment torch starts to load.
MARK_TORCH = (
    "import sys\n"
    "class Mark:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch':\n"
    "            sys.stderr.write('<torch>'); sys.stderr.flush()\n"
    "        return None\n"
    "sys.meta_path.insert(0, Mark())\n"
    "from nystra_app.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_every_command_parses_without_loading_torch_or_the_picture_libraries(tmp_path: Path) -> None:
    commands = [
        ["restore", "a.png", "-o", str(tmp_path), "--model", "m", "--device", "auto", "--format", "png",
         "--precision", "bf16", "--tile", "256", "--max-megapixels", "12", "--attention", "nystrom", "-m", "16"],
        ["restore", "a.png", "-o", str(tmp_path), "--model", "m", "--device", "cpu"],
        ["eval", "--model", "m", "--targets", "t", "--padding", "reflect"],
        ["bench", "photo", "--model", "m", "--precision", "fp32"],
        ["bench", "backends", "--model", "m", "--backends", "eager,openvino"],
        ["models", "import", "f.pth", "--name", "n", "--task", "dehaze"],
    ]
    code = (
        "import sys\n"
        "from nystra_app.cli import build_parser\n"
        f"for argv in {commands!r}:\n"
        "    build_parser().parse_args(argv)\n"
        "print(','.join(sorted({n.split('.')[0] for n in sys.modules} & {'torch', 'numpy', 'cv2', 'PIL'})))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == ""


def test_help_is_immediate_and_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-c", MARK_TORCH, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "<torch>" not in result.stderr
    assert all(name in result.stdout for name in ("restore", "eval", "bench", "models"))


def test_a_terminal_sees_the_command_starting_before_torch_loads(tmp_path: Path) -> None:
    env = {**os.environ, "NYSTRA_DATA_DIR": str(tmp_path / "data")}
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns, as a window has
    try:
        process = subprocess.Popen([sys.executable, "-c", MARK_TORCH, "models", "list"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=terminal, env=env)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process has ended
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=120) == 0
    finally:
        os.close(controller)
    text = shown.decode(errors="replace")
    assert "nystra: starting" in text and "<torch>" in text
    assert text.index("nystra: starting") < text.index("<torch>")
    after = text[text.index("<torch>"):]
    assert "\r" in after  # the starting line is cleared once the modules have loaded


def test_a_pipe_gets_no_starting_line(tmp_path: Path) -> None:
    env = {**os.environ, "NYSTRA_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", MARK_TORCH, "models", "list"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0 and result.stderr == "<torch>"
