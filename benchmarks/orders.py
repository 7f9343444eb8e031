"""Benchmark: orders placed over HTTP by concurrent clients, beside a trivial authenticated GET on the same server in
the same run; and a 100,000-row channel-sales upload beside a raw asyncpg COPY of the same rows.

Prints figures and ratios; asserts nothing about time. Usage:

    .venv/bin/python benchmarks/orders.py [--clients 64] [--products 1000] [--seconds 10] [--rows 100000]
                                          [--api-workers 1] [--group-commit true|false]
                                          [--profile py-spy.svg|stacks.txt]

Setup (county, certified sellers and products with ample stock, buyers, tokens) goes straight through the aggregates
and is not timed. The API runs in its own process with XIAOFEI_RUN_PROJECTORS=false (as deploy/compose.yaml runs
it), so what is measured is the command path. The GET is ``GET /counties`` with an admin token: the same
authentication as an order, then one asyncpg query. Each order is one line of quantity 1 of a random product, with
a fresh Idempotency-Key. ``--profile FILE`` records the API process with py-spy while the orders run.
Uses XIAOFEI_BENCH_DATABASE_URL (a server's maintenance database) or an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.registry_import import bench_database, rss_mb  # noqa: E402
from tests.consumption_given import (  # noqa: E402
    GivenProduct,
    given_buyer,
    given_certified_product,
    given_certified_seller,
)
from xiaofei.bootstrap import build  # noqa: E402
from xiaofei.config import load_settings  # noqa: E402
from xiaofei.database import Database  # noqa: E402

COUNTY = "360724"
SECRET = "cd" * 32
PORT = 8767


def setup(dsn: str, products: int, clients: int) -> tuple[list[GivenProduct], list[tuple[str, str]], str, str, str]:
    """Certified sellers with ``products`` certified products (stock enough for any run), one buyer per client;
    returns (products, [(buyer, token)], admin token, the first seller, its token)."""
    services = build(load_settings({}, database_url=dsn, secret_key=SECRET), Database(dsn))
    try:
        services.registry.register_county(COUNTY, "上犹县", "江西省", "bench")
        sellers = [given_certified_seller(services, COUNTY) for _ in range(max(1, products // 100))]
        made = [given_certified_product(services, sellers[i % len(sellers)], stock=10**9, price_fen=1000 + i,
                                        name=f"产品{i}") for i in range(products)]
        buyers = []
        for _ in range(clients):
            key = given_buyer(services, COUNTY)
            buyers.append((key, services.access.issue("buyer", [], key, "bench", "bench").secret))
        admin = services.access.issue("admin", [], None, "bench", "bench").secret
        seller = sellers[0].credit_code
        seller_token = services.access.issue("seller", [], seller, "bench", "bench").secret
        services.catch_up()
        return made, buyers, admin, seller, seller_token
    finally:
        services.close()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


class Connection:
    """A bare HTTP/1.1 keep-alive connection: the load generator shares the machine's cores with the server and the
    database, and httpx's pool cost more CPU per request than the trivial GET it measured."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
                          f"{head}\r\n".encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value:
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        data = b""
        while size := int((await self.reader.readline()).strip(), 16):
            data += await self.reader.readexactly(size + 2)
        await self.reader.readline()
        return status, data

    def close(self) -> None:
        self.writer.close()


async def load(port: int, clients: int, seconds: float, request: object) -> tuple[int, int, list[float], float]:
    """``clients`` connections calling ``request(connection, client, i)`` for ``seconds``; (ok, refused,
    latencies ms, elapsed)."""
    ok = refused = 0
    latencies: list[float] = []
    connections = [await Connection.open(port) for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal ok, refused
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, body = await request(connections[n], n, i)  # type: ignore[operator]
            latencies.append((time.perf_counter() - started) * 1000)
            if status < 300:
                ok += 1
            else:
                refused += 1
                if refused <= 3:
                    print(f"  refused: {status} {body[:200]!r}")
            i += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        for c in connections:
            c.close()
    return ok, refused, latencies, time.perf_counter() - started


def report(what: str, ok: int, refused: int, latencies: list[float], elapsed: float) -> float:
    rate = ok / elapsed
    print(f"{what}: {ok} in {elapsed:.1f}s = {rate:.0f}/s (refused {refused}); latency p50 "
          f"{statistics.median(latencies):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms")
    return rate


def sales_csv(products: list[GivenProduct], seller: str, rows: int) -> tuple[bytes, list[tuple[object, ...]]]:
    own = [p for p in products if p.seller == seller]
    today = date.today().isoformat()
    lines = ["sold_on,certificate_number,quantity,amount_fen,channel,reference,buyer_type,budget_unit,tag"]
    records: list[tuple[object, ...]] = []
    run = uuid.uuid4().hex[:8]
    for i in range(rows):
        p = own[i % len(own)]
        reference = f"{run}-{i:07d}"
        lines.append(f"{today},{p.certificate_number},2,{2 * p.price_fen},platform_832,{reference},enterprise,,")
        records.append((date.fromisoformat(today), p.certificate_number, 2, 2 * p.price_fen, "platform_832",
                        reference, "enterprise", None, None))
    return ("\n".join(lines) + "\n").encode(), records


async def copy_baseline(dsn: str, records: list[tuple[object, ...]]) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE copy_sales (sold_on date, certificate_number text, quantity int, "
                           "amount_fen bigint, channel text, reference text, buyer_type text, budget_unit text, "
                           "tag text, PRIMARY KEY (channel, reference))")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("copy_sales", records=records)
        return time.perf_counter() - started
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--api-workers", type=int, default=1, help="XIAOFEI_WORKERS for the API process")
    parser.add_argument("--group-commit", choices=("true", "false"), default="true",
                        help="XIAOFEI_GROUP_COMMIT for the API process")
    parser.add_argument("--profile", default="", help="record the API process with py-spy into this SVG file")
    args = parser.parse_args()
    with bench_database() as (dsn, label):
        run(dsn, label, args)


def start_api(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``xiaofei serve`` in its own process with ``env``, once /health answers."""
    proc = subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    return proc


def run(dsn: str, label: str, args: argparse.Namespace) -> None:
    t = time.perf_counter()
    products, buyers, admin, seller, seller_token = setup(dsn, args.products, args.clients)
    print(f"setup: {len(products)} certified products, {len(buyers)} buyers in {time.perf_counter() - t:.1f}s; "
          f"database {label}; cores: {os.cpu_count()}")
    env = {**os.environ, "XIAOFEI_DATABASE_URL": dsn, "XIAOFEI_PORT": str(PORT), "XIAOFEI_SECRET_KEY": SECRET,
           "XIAOFEI_RUN_PROJECTORS": "false", "XIAOFEI_LOG_LEVEL": "WARNING", "XIAOFEI_WORKERS": str(args.api_workers),
           "XIAOFEI_MAX_UPLOAD_BYTES": str(200_000_000), "XIAOFEI_GROUP_COMMIT": args.group_commit}
    proc = start_api(env, PORT)
    base = f"http://127.0.0.1:{PORT}"
    try:

        async def get(http: Connection, n: int, i: int) -> tuple[int, bytes]:
            return await http.request("GET", "/counties", {"Authorization": f"Bearer {admin}"})

        async def order(http: Connection, n: int, i: int) -> tuple[int, bytes]:
            buyer, token = buyers[n]
            product = random.choice(products)
            body = json.dumps({"lines": [{"product_id": str(product.product_id), "quantity": 1}]}).encode()
            return await http.request("POST", f"/organisations/{buyer}/orders", {
                "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{n}-{i}-{uuid.uuid4().hex[:8]}"}, body)

        asyncio.run(load(PORT, args.clients, 1.0, get))  # warm up connections and caches
        get_rate = report(f"GET /counties ({args.clients} clients)", *asyncio.run(load(PORT, args.clients,
                                                                                      args.seconds, get)))
        spy = None
        if args.profile:
            fmt = "raw" if args.profile.endswith(".txt") else "flamegraph"  # raw: collapsed stacks, one a line
            spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(proc.pid),
                                    "--subprocesses", "--output", args.profile, "--format", fmt,
                                    "--duration", str(int(args.seconds)), "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        order_rate = report(f"POST orders ({args.clients} clients, {len(products)} products, group commit "
                            f"{args.group_commit})",
                            *asyncio.run(load(PORT, args.clients, args.seconds, order)))
        if spy is not None:
            spy.wait(timeout=120)
            print(f"py-spy profile of the API process: {args.profile}")
        print(f"ratio orders / GET: {order_rate / get_rate:.3f} (target 0.75)")

        body, records = sales_csv(products, seller, args.rows)
        started = time.perf_counter()
        r = httpx.post(f"{base}/organisations/{seller}/channel-sales", content=body, timeout=1800, headers={
            "Authorization": f"Bearer {seller_token}", "Content-Type": "text/csv",
            "Idempotency-Key": f"bench-upload-{uuid.uuid4().hex[:8]}"})
        upload_s = time.perf_counter() - started
        r.raise_for_status()
        recorded = r.json()["recorded"]
        print(f"channel-sales upload over HTTP: {recorded} rows ({len(body) / 1e6:.1f} MB CSV) in {upload_s:.2f}s "
              f"= {recorded / upload_s:.0f} rows/s")
        print(f"API process peak RSS: {rss_mb(proc.pid):.0f} MB")
        copy_s = asyncio.run(copy_baseline(dsn, records))
        print(f"raw asyncpg COPY of the same {len(records)} rows: {copy_s:.2f}s = {len(records) / copy_s:.0f} rows/s")
        print(f"ratio upload / COPY: {recorded / upload_s / (len(records) / copy_s):.3f}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
