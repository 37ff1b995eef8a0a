"""``make demo``: a living sample municipality, loaded through the public APIs of a running
stack (never its databases), then where to look.

    .local/venv/bin/python -m kasane_devstack.demo [--households 300] [--seed 2026]
    .local/venv/bin/python -m kasane_devstack.demo peek kasane.coordination.v1 [--last 5]

It loads the profile's municipality (桜ヶ丘市, fictional): organisations, coordinators and
places in community; providers' opportunities in participation; a few hundred generated
households (Faker ``ja_JP`` names and kana; never real people) as consultations at the
desks, which then flow through screening, referrals, cases, teams, assessments, plans
approved at 重層的支援会議, 支援会議 without consent, outreach, participation requests,
matches, placements, follow-ups, gap needs, and a development project that produces a new
place. Tokens are minted in-process from the stack's development key, one per agency.

The same seed gives the same municipality, and a second run adds nothing: consultations
carry the desks' external ids, other posts an ``Idempotency-Key`` made of the seed and an
index, and every step looks at what is there before it writes. The terminal shows ids,
counts and URLs only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
from kasane_shared.profile import load_profile

from kasane_devstack.municipality import (
    load_cases,
    load_development,
    load_directory,
    load_intake,
    load_meetings,
    load_support,
)
from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.api import READ_SCOPES, SERVICES, Api, DemoError, Tally
from kasane_devstack.municipality.directory import build
from kasane_devstack.municipality.households import household
from kasane_devstack.municipality.load_intake import Home
from kasane_devstack.municipality.people import JST
from kasane_devstack.paths import KEYS, PROFILE
from kasane_devstack.services import services

METRICS = ["consultations_received", "consultations_referred", "cases_opened", "cases_ended", "outreach_started",
           "placements_started", "gap_needs_recorded"]


@dataclass
class Options:
    households: int = 300
    seed: int = 2026
    urls: dict[str, str] = field(default_factory=lambda: {p.name: f"http://127.0.0.1:{p.api}" for p in services()})
    keys_dir: Path = KEYS
    profile: Path = PROFILE
    concurrency: int = 6
    wait_seconds: float = 180.0
    out: TextIO = sys.stdout


@dataclass
class Result:
    tally: Tally
    homes: list[Home]
    development: dict[str, Any] | None
    stats: dict[str, Any]
    seconds: float

    @property
    def created(self) -> int:
        return sum(self.tally.new.values())


async def run(opts: Options) -> Result:
    """Load the municipality and print where to look."""
    started = time.monotonic()
    profile = load_profile(opts.profile)
    ag = Agencies(profile)
    today = profile.municipality.today()  # the municipality's calendar day, as the services count days
    districts = [a.code for a in profile.areas if a.kind.value == "school_district"]
    root = next(a for a in profile.areas if a.parent is None)
    households = [household(opts.seed, i, today, ag, districts, ag.development_area) for i in range(opts.households)]
    directory = build(profile, ag, opts.seed)
    api = Api(opts.urls, opts.keys_dir, [a.id for a in profile.agencies], concurrency=opts.concurrency,
              wait_seconds=opts.wait_seconds)
    out = opts.out

    def say(what: str, line: str) -> None:
        print(f"  {what:<14}{line}", file=out, flush=True)

    try:
        await _ready(api)
        print(f"Kasane demo: {profile.municipality.name} / {profile.municipality.name_en}, seed {opts.seed}, "
              f"{opts.households} generated households", file=out, flush=True)
        t = api.tally
        ids = await load_directory.load(api, ag, directory, opts.seed)
        say("directory", t.line("organisations", "coordinators", "places", "activities"))
        say("opportunities", t.line("opportunities") + " from providers")
        homes = await load_intake.load(api, profile, households, today)
        f = t.facts
        say("consultations", t.line("consultations") + f"; screening advised {f['screening:refer_to_collaboration']}"
            f" referrals, {f['screening:request_outreach']} outreach, {f['screening:handle_at_desk']} at the desk")
        say("intake", t.line("referrals_to_collaboration", "referrals_to_outreach", "consents", "closed_at_the_desk"))
        waited = time.monotonic()
        await load_cases.find_cases(api, ag, homes)
        await load_cases.find_engagements(api, ag, homes)
        cases = sum(1 for x in homes if x.case_id and x.referral_target == "collaboration")
        engagements = sum(1 for x in homes if x.engagement_id)
        say("cases", f"{cases} opened from the referrals' events, {engagements} outreach engagements started "
            f"(waited {time.monotonic() - waited:.0f} s)")
        await load_cases.outreach(api, ag, homes, today)
        say("outreach", t.line("outreach_contacts", "cases_from_outreach"))
        await load_cases.work_cases(api, ag, homes, today)
        say("case work", t.line("leads", "team_members_joined", "assessments", "plans"))
        await load_meetings.load(api, ag, homes, today)
        say("meetings", t.line("meetings", "plans_approved", "plans_awaiting_a_meeting", "cases_at_a_shien_kaigi"))
        await load_support.load(api, ag, homes, today)
        say("support", t.line("cases_moved_to_monitoring", "cases_moved_to_ended", "outreach_engagements",
                              "participation_requests"))
        await load_support.participation(api, ag, homes, today)
        say("participation", t.line("proposals", "placements", "follow_ups") +
            f"; {f['request:waiting']} requests waiting: nothing fits (gap needs)")
        development = await load_development.load(api, ag, directory.development, ids, homes, opts.seed, today)
        if development is not None:
            placed = sum(o["placements_started"] for p in development["produced"] for o in p["opportunities"])
            say("development", t.line("developments", "places_produced") +
                f"; project {development['status']}, {placed} placements counted at its place")
        stats = await _stats(api, ag, root.code, homes)
        shown = [f"{m.replace('_', ' ')} {_shown(stats, m)}" for m in METRICS]
        say("statistics", f"{root.name}, last 12 months: " + ", ".join(shown[:4]))
        say("", ", ".join(shown[4:]) + " (cells under the threshold are shown as <N, not counted here)")
        _where_to_look(opts, ag, root.code, homes, development, out)
        result = Result(t, homes, development, stats, time.monotonic() - started)
        placed = t.new["placements"] + t.found["placements"] + t.new["placements_at_the_new_place"]
        print(f"\nLoaded: {len(homes)} households ({cases} cases from referrals, "
              f"{sum(1 for x in homes if x.case_id) - cases} from outreach), "
              f"{sum(1 for x in homes if x.plan_status in ('approved', 'under_review'))} plans in force, "
              f"{engagements + t.new['outreach_engagements'] + t.found['outreach_engagements']} outreach engagements, "
              f"{sum(1 for x in homes if x.request_id)} participation requests, {placed} placements, "
              f"{sum(1 for x in homes if x.request_status == 'waiting')} still waiting on a gap, "
              f"{1 if development else 0} development project.", file=out)
        print(f"Done in {result.seconds:.0f} s: {result.created} records created or moved now, "
              f"{sum(t.found.values())} found already there.", file=out)
        return result
    finally:
        await api.aclose()


async def _ready(api: Api) -> None:
    for service in SERVICES:
        try:
            r = await api.clients[service].get("/readyz", timeout=5)
        except httpx.HTTPError:
            r = None
        if r is None or r.status_code != 200:
            raise DemoError(f"{service} does not answer at {api.urls[service]}: start the stack with `make up` first")


async def _stats(api: Api, ag: Agencies, root: str, homes: list[Home]) -> dict[str, Any]:
    """The city's statistics, once the consultations' events have been counted."""
    wanted = len(homes)

    async def probe() -> dict[str, Any] | None:
        stats = await api.get("community", f"/v1/areas/{root}/stats", agency=ag.collaboration_desk)
        total = sum(r["count"] or 0 for r in stats["rows"] if r["metric"] == "consultations_received"
                    and r["scope"] == "area" and r["code"] == "total")
        small = sum(1 for r in stats["rows"] if r["metric"] == "consultations_received"
                    and r["scope"] == "area" and r["code"] == "total" and r["count"] is None)
        return stats if total + small * 4 >= wanted else None

    try:
        return await api.until(probe, "the statistics to count the consultations", timeout=60)
    except DemoError:
        return await api.get("community", f"/v1/areas/{root}/stats", agency=ag.collaboration_desk)


def _shown(stats: dict[str, Any], metric: str) -> str:
    """The area's own total over the months, and how many months are suppressed."""
    rows = [r for r in stats["rows"] if r["metric"] == metric and r["scope"] == "area" and r["code"] == "total"]
    total = sum(r["count"] or 0 for r in rows)
    hidden = [r["display"] for r in rows if r["count"] is None]
    return f"{total}" + (f" (+{len(hidden)} months {hidden[0]})" if hidden else "")


def _where_to_look(opts: Options, ag: Agencies, root: str, homes: list[Home], development: dict[str, Any] | None,
                   out: TextIO) -> None:
    referred = next((x for x in homes if x.request_status == "placed"), None) or \
        next((x for x in homes if x.case_id and x.plan_status == "approved"), None) or \
        next((x for x in homes if x.case_id), None)
    request = next((x for x in homes if x.request_status in ("placed", "proposed", "open")), None) or \
        next((x for x in homes if x.request_id), None)
    url = opts.urls
    token = '"Authorization: Bearer $TOKEN"'
    lines = ["", "Where to look (ids only; read the rest with a token):"]
    lines += [f"  {s:<14}{url[s]}/docs" for s in SERVICES]
    lines += ["  a token       export TOKEN=$(.local/venv/bin/kasane-token mint --dir " +
              _rel(opts.keys_dir) + f" --agency {ag.collaboration_desk} --scope \"{' '.join(READ_SCOPES)}\")"]
    examples = []
    if referred:
        examples += [("a household", f"{url['intake']}/v1/households/{referred.household_id}"),
                     ("a case", f"{url['coordination']}/v1/cases/{referred.case_id}"),
                     ("its timeline", f"{url['coordination']}/v1/cases/{referred.case_id}/timeline?limit=100")]
    if request:
        examples += [("matches", f"{url['participation']}/v1/requests/{request.request_id}/matches")]
    examples += [("gap needs", f"{url['participation']}/v1/gap-needs/summary")]
    if development:
        examples += [("development", f"{url['community']}/v1/developments/{development['id']}")]
    examples += [("area stats", f"{url['community']}/v1/areas/{root}/stats"),
                 ("HSDS export", f"{url['community']}/v1/directory/hsds")]
    lines += [f"  {what:<14}curl -s -H {token} {where}" for what, where in examples]
    lines += ["  Kafka topics  kasane.intake.v1 kasane.coordination.v1 kasane.participation.v1 kasane.community.v1"
              " (ids and codes only)",
              "  peek          .local/venv/bin/python -m kasane_devstack.demo peek kasane.coordination.v1 --last 5",
              "  dead letters  eval \"$(.local/venv/bin/kasane-stack env)\" && "
              ".local/venv/bin/kasane-coordination dlt list"]
    print("\n".join(lines), file=out)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


async def peek(topic: str, last: int, bootstrap: str, out: TextIO = sys.stdout) -> int:
    """Print the last records of a topic: time, type, key and value (events hold ids and codes only)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic)
        if not parts:
            print(f"no topic {topic} on {bootstrap}", file=out)
            return 1
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        begin, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(begin[tp], end[tp] - last))
        records = []
        while any([await consumer.position(tp) < end[tp] for tp in tps]):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += batch
        records.sort(key=lambda r: r.timestamp)
        for r in records[-last:]:
            headers = {k: v.decode() for k, v in r.headers}
            at = datetime.fromtimestamp(r.timestamp / 1000, JST).strftime("%Y-%m-%d %H:%M:%S")
            value = json.dumps(json.loads(r.value), ensure_ascii=False, separators=(",", ":"))
            print(f"{at} {headers.get('ce_type')} key={(r.key or b'').decode()}\n  {value}", file=out)
        print(f"({sum(end[tp] for tp in tps)} records on {topic}; showing the last {min(last, len(records))})",
              file=out)
        return 0
    finally:
        await consumer.stop()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["peek"]:
        p = argparse.ArgumentParser(prog="python -m kasane_devstack.demo peek")
        p.add_argument("topic")
        p.add_argument("--last", type=int, default=5)
        p.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
        a = p.parse_args(argv[1:])
        return asyncio.run(peek(os.environ.get("KASANE_TOPIC_PREFIX", "") + a.topic, a.last, a.bootstrap))
    p = argparse.ArgumentParser(prog="python -m kasane_devstack.demo", description=__doc__.split("\n\n")[0])
    defaults = Options()
    p.add_argument("--households", type=int, default=defaults.households, help="how many (default 300)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="the same seed gives the same municipality")
    for service in SERVICES:
        p.add_argument(f"--{service}-url", default=defaults.urls[service], help=f"the {service} API")
    p.add_argument("--keys-dir", type=Path, default=defaults.keys_dir, help="holds dev-jwt.key.pem")
    p.add_argument("--profile", type=Path, default=defaults.profile)
    p.add_argument("--concurrency", type=int, default=defaults.concurrency, help="requests in flight")
    p.add_argument("--wait", type=float, default=defaults.wait_seconds, help="seconds to wait for events")
    a = p.parse_args(argv)
    opts = Options(households=a.households, seed=a.seed, keys_dir=a.keys_dir, profile=a.profile,
                   concurrency=a.concurrency, wait_seconds=a.wait,
                   urls={s: getattr(a, f"{s}_url") for s in SERVICES})
    try:
        asyncio.run(run(opts))
    except DemoError as exc:
        print(f"demo stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
