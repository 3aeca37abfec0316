//! Querier requests in Connect's JSON codec (protojson through the
//! descriptor pool) for every method, through the real router over a query
//! service that answers each with its empty response: every body is
//! answered with a success or a 4xx, never a 5xx or a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 12] = [
    "ProfileTypes",
    "LabelNames",
    "LabelValues",
    "Series",
    "SelectMergeStacktraces",
    "SelectMergeSpanProfile",
    "SelectMergeProfile",
    "SelectSeries",
    "SelectHeatmap",
    "Diff",
    "GetProfileStats",
    "AnalyzeQuery",
];

fuzz_target!(|data: &[u8]| {
    for method in METHODS {
        let path = format!("/querier.v1.QuerierService/{method}");
        kiln_fuzz::post(&path, &[("content-type", "application/json")], data);
    }
});
