//! The store's counters in `/metrics`.

use std::fmt::Write;
use std::sync::Arc;

use kiln_api::MetricsSource;
use kiln_store::Store;

/// `kiln_store_corrupt_objects_total`: block objects found unreadable,
/// each named in the log; the damaged ones are moved to
/// `<data_dir>/store/quarantine/`.
pub fn store_metrics(store: Store) -> MetricsSource {
    Arc::new(move |out: &mut String| {
        out.push_str(
            "# HELP kiln_store_corrupt_objects_total Block objects found unreadable; damaged ones are moved to quarantine.\n\
             # TYPE kiln_store_corrupt_objects_total counter\n",
        );
        let _ = writeln!(out, "kiln_store_corrupt_objects_total {}", store.corrupt_objects().len());
    })
}
