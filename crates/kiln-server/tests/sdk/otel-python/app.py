"""A CPU-bound program profiled by OpenTelemetry's Python profiler
(opentelemetry-sdk-extension-profiling), exporting over OTLP to Kiln.

Usage: app.py (http|grpc|file) ENDPOINT SECONDS SUMMARY_JSON [SERVICE]

Every request the profiler exports is counted before it is sent: the number
of exports, how many the exporter reported as failed, and the sum of sample
values per (profile name, service). With `file`, ENDPOINT is a path and the
last request's protobuf bytes are written there instead of being sent (used
to make the kiln-model fixture).
"""

import json
import sys
import time

from opentelemetry.sdk.extension.profiling import Profiler
from opentelemetry.sdk.extension.profiling.export.grpc import OTLPProfileExporter
from opentelemetry.sdk.extension.profiling.export.http import OTLPHTTPProfileExporter
from opentelemetry.sdk.extension.profiling.export.result import ProfileExportResult
from opentelemetry.sdk.resources import Resource



class Counting:
    """Wraps an exporter, counting what goes through it."""

    def __init__(self, inner, path=None):
        self.inner = inner
        self.path = path
        self.summary = {"exports": 0, "failed": 0, "totals": {}}

    def export(self, request):
        self.summary["exports"] += 1
        strings = request.dictionary.string_table
        for rp in request.resource_profiles:
            for sp in rp.scope_profiles:
                for p in sp.profiles:
                    key = strings[p.period_type.type_strindex]
                    total = sum(v for s in p.samples for v in s.values)
                    self.summary["totals"][key] = self.summary["totals"].get(key, 0) + total
        if self.path is not None:
            with open(self.path, "wb") as f:
                f.write(request.SerializeToString(deterministic=True))
            return ProfileExportResult.SUCCESS
        result = self.inner.export(request)
        if result != ProfileExportResult.SUCCESS:
            self.summary["failed"] += 1
        return result

    def shutdown(self, *args, **kwargs):
        if self.inner is not None:
            self.inner.shutdown(*args, **kwargs)

    def force_flush(self, *args, **kwargs):
        return True


def is_prime(n):
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def slow(n):
    return sum(i for i in range(n))


def work(seconds):
    end = time.monotonic() + seconds
    found = 0
    while time.monotonic() < end:
        for n in range(2000):
            if is_prime(n):
                found += slow(n)
    return found


def exporter(protocol, endpoint):
    if protocol == "http":
        return Counting(OTLPHTTPProfileExporter(endpoint=endpoint, timeout=10))
    if protocol == "grpc":
        return Counting(OTLPProfileExporter(endpoint=endpoint, insecure=True, timeout=10))
    return Counting(None, path=endpoint)


def main():
    protocol, endpoint, seconds, summary_path = sys.argv[1:5]
    service = sys.argv[5] if len(sys.argv) > 5 else "otel-python-app"
    counting = exporter(protocol, endpoint)
    resource = Resource.create({"service.name": service})
    profiler = Profiler(exporter=counting, resource=resource, sample_interval=0.01, export_interval=1.0)
    profiler.start()
    work(float(seconds))
    profiler.stop()
    with open(summary_path, "w") as f:
        json.dump(counting.summary, f)


if __name__ == "__main__":
    main()
