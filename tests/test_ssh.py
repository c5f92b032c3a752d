"""A DVC remote over SSH, for real: Debian's OpenSSH server on 127.0.0.1, a key made here."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL = "apt-get install -y --no-install-recommends openssh-server"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """An sshd on a free loopback port that accepts one key made here, and an empty HOME so
    the user's own ~/.ssh plays no part: (port, key file, home)."""
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(binary).exists():
        pytest.skip(f"openssh-server is missing; install it with: {INSTALL}")
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("host", "user"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)],
                       check=True)  # fmt: skip
    shutil.copy(keys / "user.pub", keys / "authorized_keys")
    port = _free_port()
    config = keys / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {keys / 'host'}\n"
        f"AuthorizedKeysFile {keys / 'authorized_keys'}\nPidFile {keys / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    server = subprocess.Popen([binary, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                reason = server.communicate()[1].decode(errors="replace").strip()
                pytest.fail(f"sshd did not start on port {port}: {reason}")
            time.sleep(0.1)
    # No known_hosts: dvc-ssh's filesystem (sshfs) connects with asyncssh's known_hosts=None,
    # which checks no host key at all, so pinning one here would prove nothing.
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    try:
        yield port, keys / "user", home
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_push_and_pull_through_an_ssh_remote(sshd: tuple[int, Path, Path], tmp_path: Path) -> None:
    """dvc push to an ssh:// remote, lose the local copy and the cache, dvc pull: same bytes,
    and the object sits in the server's folder."""
    port, key, home = sshd
    repo, store = tmp_path / "repo", tmp_path / "store"
    repo.mkdir()
    env = {**os.environ, "HOME": str(home)}

    def dvc(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, env=env,
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, f"dvc {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    dvc("init", "-q")
    payload = os.urandom(200_000)
    (repo / "model.bin").write_bytes(payload)
    dvc("add", "-q", "model.bin")
    url = f"ssh://{getpass.getuser()}@127.0.0.1:{port}{store}"
    dvc("remote", "add", "-d", "ssh", url)
    dvc("remote", "modify", "--local", "ssh", "keyfile", str(key))
    dvc("push")
    assert len([f for f in store.rglob("*") if f.is_file()]) == 1
    (repo / "model.bin").unlink()
    shutil.rmtree(repo / ".dvc/cache")
    dvc("pull")
    assert (repo / "model.bin").read_bytes() == payload
