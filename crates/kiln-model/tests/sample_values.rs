//! Issue 15, item 9: a sample value of `i64::MAX` pinned a tenant's merged
//! total at the maximum. Values too large to sum are clamped per sample at
//! ingestion and counted, so later profiles still move the totals.

use kiln_model::ingest::clamp::MAX_SAMPLE_VALUE;
use kiln_model::ingest::series::prepare;
use kiln_model::ingest::Limits;
use kiln_model::{folded, merge, Profile, Tree};

const NOW: i64 = 1_577_836_800_000_000_000;

fn pushed(body: &str) -> (Profile, usize) {
    let labels = vec![("__name__".to_owned(), "cpu".to_owned()), ("service_name".to_owned(), "app".to_owned())];
    let push = prepare(&labels, folded::decode(body.as_bytes()).unwrap(), 0, NOW, &Limits::default()).unwrap();
    (push.profile, push.clamped)
}

#[test]
fn an_i64_max_value_is_clamped_and_does_not_pin_the_merged_total() {
    let (huge, clamped) = pushed(&format!("main;work {}\nmain;idle 3\n", i64::MAX));
    assert_eq!(clamped, 1);
    assert_eq!(huge.totals(), vec![MAX_SAMPLE_VALUE + 3]);
    let (next, none) = pushed("main;work 5\n");
    assert_eq!(none, 0);
    let merged = merge::merge([&huge, &next]).unwrap();
    assert_eq!(merged.totals(), vec![MAX_SAMPLE_VALUE + 8], "the later profile still counts");
    let tree = Tree::from_profile(&merged, 0);
    assert_eq!(tree.folded_map()["main;work"], MAX_SAMPLE_VALUE + 5);
}

#[test]
fn duplicate_stacks_summing_past_the_bound_are_clamped_too() {
    let half = i64::MAX / 2 + 1;
    let (p, clamped) = pushed(&format!("a {half}\na {half}\n"));
    assert_eq!((p.totals(), clamped), (vec![MAX_SAMPLE_VALUE], 1));
}
