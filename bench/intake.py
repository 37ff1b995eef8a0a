"""Intake benchmark: sustained ``POST /v1/consultations`` against the trivial authenticated
endpoint ``GET /v1/me`` of the same server, then POST latency at 70% of its capacity.

The real intake API runs in a separate uvicorn process (``kasane-intake api``, as deployed,
access log included) on a free port against a scratch database with intake's migrations;
load comes from this process with httpx. Each POST is a realistic consultation: a
household of two new persons (names, kana, birth dates, address, phone), a summary of
about 150 characters and concern codes; it is persisted with its household, members,
match search, screening, audit entries and its two outbox events in one transaction (the
relay is not running: the events wait in the outbox, which is what "persisted with its
outbox event" means). After the run the database is checked to hold every consultation
and its events.

Figures, all measured in one run on this machine:
* closed loop, ``CONCURRENCY`` requests in flight, ``SECONDS`` each: requests/s, p50, p99
  of GET /v1/me and of POST, and POST/me;
* open loop at 70% of the POST rate just measured (requests sent on a fixed schedule,
  latency from the scheduled send time, so queueing counts): p50, p99 and p99/p50.
Targets (issue 3): POST >= 0.3x the trivial endpoint; p99 <= 5x p50 at 70% of capacity.
On a 2-core machine the load generator, the API, PostgreSQL and Kafka share the CPUs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import asyncpg
import httpx
from kasane_intake.main import SPEC
from kasane_shared.auth.cli import keygen, mint

from bench.common import BenchEnv, percentile
from tests.support.clock import today as municipal_today

AGENCY = "sk-houkatsu-kita"
CONCURRENCY = 16
SECONDS = 12.0
WARMUP_SECONDS = 3.0
ROOT = Path(__file__).resolve().parents[1]

FAMILY = [("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
          ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ")]
ELDER = [("ハナ", "ハナ"), ("トメ", "トメ"), ("キヨ", "キヨ"), ("正", "タダシ"), ("進", "ススム"), ("清", "キヨシ")]
YOUNGER = [("太郎", "タロウ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"), ("健", "ケン"), ("翔", "ショウ"),
           ("陽子", "ヨウコ"), ("誠", "マコト"), ("恵", "メグミ")]
STREETS = ["北町", "桜台", "中央", "駅前", "城山", "南町", "港町", "東町", "緑ヶ丘"]
AREAS = ["SK-N-01", "SK-N-02", "SK-C-01", "SK-C-02", "SK-C-03", "SK-S-01", "SK-S-02", "SK-E-01", "SK-E-02"]
SUMMARY = ("母（{a}）の介護について長男から電話相談。長男（{b}）は仕事を辞めてから外出が減り、"
           "ここ数年は家からほとんど出ていない。母は要介護認定を受けておらず、日中は一人で過ごしている。"
           "通院の付き添いも難しくなってきたとのこと。近所付き合いは少ない。訪問を希望。")


def consultation(rng: random.Random) -> dict:
    """A consultation about a household of two new persons, as a desk would post it."""
    family, family_kana = rng.choice(FAMILY)
    area = rng.choice(AREAS)
    street = f"{rng.choice(STREETS)}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
    address = {"prefecture": "みどり県", "municipality": "桜ヶ丘市", "area_code": area, "street": street}
    elder_age, younger_age = rng.randint(70, 95), rng.randint(35, 65)
    today = municipal_today()

    def born(age: int) -> str:
        return date(today.year - age, rng.randint(1, 12), rng.randint(1, 28)).isoformat()

    (elder, elder_kana), (younger, younger_kana) = rng.choice(ELDER), rng.choice(YOUNGER)
    return {
        "channel": "phone", "consulted_by": "family",
        "summary": SUMMARY.format(a=elder_age, b=younger_age),
        "concern_codes": ["elderly_care"],
        "members": [
            {"person": {"family_name": family, "given_name": elder, "family_name_kana": family_kana,
                        "given_name_kana": elder_kana, "birth_date": born(elder_age), "sex": "female",
                        "address": address, "phone": f"0{rng.randint(100, 999)}-{rng.randint(10, 99)}-"
                                                      f"{rng.randint(1000, 9999)}"},
             "relationship": "head", "subject": True, "concern_codes": ["elderly_care"]},
            {"person": {"family_name": family, "given_name": younger, "family_name_kana": family_kana,
                        "given_name_kana": younger_kana, "birth_date": born(younger_age), "sex": "male",
                        "address": address},
             "relationship": "child", "concern_codes": ["withdrawal"], "withdrawn_years": rng.randint(1, 15)},
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def intake_api(env: BenchEnv, keys: Path):
    """The real intake API in its own process; yields its base URL."""
    url = await env.database("intake", SPEC.all_migrations())
    port = _free_port()
    process_env = {
        **os.environ,
        "INTAKE_DATABASE_URL": url,
        "INTAKE_HTTP_HOST": "127.0.0.1",
        "INTAKE_HTTP_PORT": str(port),
        "INTAKE_TOPIC_PREFIX": env.prefix,
        "INTAKE_DATABASE_POOL_MAX": "10",
        "KASANE_PROFILE": str(ROOT / "profiles" / "sample-city.yaml"),
        "KASANE_JWT_PUBLIC_KEY_FILES": str(keys / "dev-jwt.pub.pem"),
        "KASANE_JWT_ISSUER": "kasane-dev",
        "KAFKA_BOOTSTRAP_SERVERS": env.bootstrap,
    }
    for name in ("INTAKE_METRICS_PORT", "KASANE_TRACE_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        process_env.pop(name, None)
    command = [str(Path(sys.executable).parent / "kasane-intake"), "api"]
    errors = tempfile.TemporaryFile()
    proc = await asyncio.create_subprocess_exec(*command, env=process_env, stdout=subprocess.DEVNULL,
                                                stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            deadline = time.monotonic() + 60
            while True:
                if proc.returncode is not None:
                    errors.seek(0)
                    raise RuntimeError(f"intake api exited: {errors.read().decode()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("intake api did not start within 60 s")
                await asyncio.sleep(0.2)
        yield base, url
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        errors.close()


async def closed_loop(client: httpx.AsyncClient, send, seconds: float) -> tuple[float, list[float], int]:
    """``CONCURRENCY`` workers sending back to back: (requests/s, latencies in ms, errors)."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            response = await send(client, n)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 300:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
    return len(latencies) / (time.perf_counter() - started), latencies, errors


async def open_loop(client: httpx.AsyncClient, send, rate: float, seconds: float) -> tuple[float, list[float], int]:
    """Requests on a fixed schedule at ``rate``/s; latency from the scheduled time."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        response = await send(client, i)
        latencies.append((time.perf_counter() - scheduled) * 1000)
        if response.status_code >= 300:
            errors += 1

    tasks = []
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return total / (time.perf_counter() - start), latencies, errors


def line(label: str, rate: float, latencies: list[float], errors: int) -> str:
    return (f"  {label:<34} {rate:8,.0f} req/s   p50 {percentile(latencies, 50):7.1f} ms   "
            f"p99 {percentile(latencies, 99):7.1f} ms   n={len(latencies)}{f'  errors={errors}' if errors else ''}")


async def run() -> None:
    env = BenchEnv.from_environment()
    keys = Path(tempfile.mkdtemp(prefix="kasane-bench-keys-"))
    keygen(keys)
    token = mint((keys / "dev-jwt.key.pem").read_bytes(), agency=AGENCY,
                 scopes=["consultations:read", "consultations:write"])
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(8050)
    bodies = [consultation(rng) for _ in range(20_000)]
    cursor = iter(range(10**9))

    async def me(client: httpx.AsyncClient, _n: int) -> httpx.Response:
        return await client.get("/v1/me", headers=headers)

    async def post(client: httpx.AsyncClient, _n: int) -> httpx.Response:
        return await client.post("/v1/consultations", json=bodies[next(cursor) % len(bodies)], headers=headers)

    try:
        async with intake_api(env, keys) as (base, db_url):
            limits = httpx.Limits(max_connections=CONCURRENCY * 8, max_keepalive_connections=CONCURRENCY * 8)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                await closed_loop(client, me, WARMUP_SECONDS)
                await closed_loop(client, post, WARMUP_SECONDS)
                print(f"intake: the API in its own uvicorn process, {CONCURRENCY} requests in flight, "
                      f"{SECONDS:.0f} s each, load from one httpx process")
                me_rate, me_lat, me_err = await closed_loop(client, me, SECONDS)
                print(line("GET /v1/me (trivial, authenticated)", me_rate, me_lat, me_err))
                post_rate, post_lat, post_err = await closed_loop(client, post, SECONDS)
                print(line("POST /v1/consultations", post_rate, post_lat, post_err))
                print(f"  POST / me = {post_rate / me_rate:.2f}  (target >= 0.3)")
                target = post_rate * 0.7
                achieved, lat, err = await open_loop(client, post, target, SECONDS)
                p50, p99 = percentile(lat, 50), percentile(lat, 99)
                print(f"  POST at 70% of its capacity: offered {target:,.0f} req/s, achieved {achieved:,.0f} req/s: "
                      f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, p99/p50 = {p99 / p50:.1f}  (target <= 5)"
                      f"{f', errors={err}' if err else ''}")
            conn = await asyncpg.connect(db_url)
            try:
                stored = await conn.fetchval("SELECT count(*) FROM consultations")
                events = await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE type = 'kasane.intake.consultation.received.v1'")
            finally:
                await conn.close()
            print(f"  persisted: {stored:,} consultations, {events:,} ConsultationReceived events in the outbox")
    finally:
        await env.cleanup()


if __name__ == "__main__":
    asyncio.run(run())
