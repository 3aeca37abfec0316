#!/usr/bin/env python3
"""Writes the seed corpora of the request-body fuzz targets from the real
fixtures of crates/kiln-model/tests/fixtures, as clients send them:

- multipart/: Go SDK forms (`profile`, `prev_profile`,
  `sample_type_config`) and a Java agent form (`jfr`), boundary `kilnfuzz`
  (the one fuzz_targets/multipart.rs declares);
- push/: `PushRequest`s in protobuf and in Connect JSON, carrying the Go
  and Node pprof fixtures as `raw_profile`;
- connect_json/: one protojson request per querier method, as Grafana and
  kiln-api's tests write them.

Deterministic; standard library only. Run from anywhere: ./make.py
"""

import base64
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "crates/kiln-model/tests/fixtures"
BOUNDARY = b"kilnfuzz"
CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
BLOCK_CONFIG = (
    b'{"contentions":{"units":"lock_samples","display-name":"block_count"},'
    b'"delay":{"units":"lock_nanoseconds","display-name":"block_duration"}}'
)


def form(parts):
    out = b""
    for name, data in parts:
        out += b"--" + BOUNDARY + b"\r\n"
        out += b'Content-Disposition: form-data; name="' + name + b'"; filename="' + name + b'"\r\n'
        out += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\n"


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def push_proto(labels, profiles):
    pairs = b"".join(field(1, field(1, k.encode()) + field(2, v.encode())) for k, v in labels)
    samples = b"".join(field(2, field(1, p)) for p in profiles)
    return field(1, pairs + samples)


def push_json(labels, profiles):
    series = {
        "labels": [{"name": k, "value": v} for k, v in labels],
        "samples": [{"rawProfile": base64.b64encode(p).decode()} for p in profiles],
    }
    return json.dumps({"series": [series]}).encode()


QUERIES = {
    "profile_types": {"start": "1700000000000", "end": "1700003600000"},
    "label_names": {"matchers": ['{service_name="api"}'], "start": "1", "end": "2"},
    "label_values": {"name": "service_name", "start": "1", "end": "2"},
    "series": {"matchers": ["{}"], "labelNames": ["env"]},
    "select_merge_stacktraces": {
        "profileTypeID": CPU,
        "labelSelector": '{service_name="api", "thread.name"=~"main|worker"}',
        "start": "1",
        "end": "2",
        "maxNodes": "16",
        "format": "PROFILE_FORMAT_TREE",
    },
    "select_merge_span_profile": {"profileTypeID": "x:y:z::", "spanSelector": ["9a517183f26a089d"]},
    "select_merge_profile": {"profile_typeID": CPU, "label_selector": "{}", "maxNodes": "8"},
    "select_series": {"profileTypeID": CPU, "labelSelector": "{}", "step": 15.5, "groupBy": ["pod"],
                      "aggregation": "TIME_SERIES_AGGREGATION_TYPE_AVERAGE", "limit": "3"},
    "select_heatmap": {"profileTypeID": CPU, "labelSelector": "{}", "start": "1", "end": "2", "step": 15,
                       "groupBy": ["pod"], "queryType": "HEATMAP_QUERY_TYPE_INDIVIDUAL", "exemplarType": 2},
    "diff": {"left": {"profileTypeID": "a:b:c::"}, "right": {"profileTypeID": "a:b:c::", "labelSelector": "{}"}},
    "get_profile_stats": {},
    "analyze_query": {"query": CPU + "{}", "start": "1", "end": "2"},
}


def write(target, name, data):
    path = HERE / target / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)


def main():
    go = {n: (FIXTURES / "go" / f"{n}.pb.gz").read_bytes() for n in ["cpu", "heap", "block", "mutex"]}
    node_wall = (FIXTURES / "node/wall.pb.gz").read_bytes()
    jfr = (FIXTURES / "jfr/hot25.jfr.gz").read_bytes()
    write("multipart", "go-cpu", form([(b"profile", go["cpu"])]))
    write("multipart", "go-heap-prev", form([(b"profile", go["heap"]), (b"prev_profile", go["heap"])]))
    write("multipart", "go-block-config", form([(b"profile", go["block"]), (b"sample_type_config", BLOCK_CONFIG)]))
    write("multipart", "java-jfr", form([(b"jfr", jfr)]))
    labels = [("__name__", "process_cpu"), ("service_name", "fuzz"), ("thread.name", "main")]
    write("push", "go-cpu.pb", push_proto(labels, [go["cpu"]]))
    write("push", "go-mutex-block.pb", push_proto(labels, [go["mutex"], go["block"]]))
    write("push", "node-wall.json", push_json(labels, [node_wall]))
    for method, request in QUERIES.items():
        write("connect_json", f"{method}.json", json.dumps(request).encode())


if __name__ == "__main__":
    main()
