//! The standalone report as a file: data embedded safely, assets inlined,
//! nothing fetched from anywhere.

use kiln_model::flamegraph::flame_graph;
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::Tree;
use kiln_render::{assets, diff_html, single_html, ReportMeta};

fn tree(stacks: &[(&[&str], i64)]) -> Tree {
    let mut t = Tree::new();
    for (stack, v) in stacks {
        t.insert_stack(stack, *v);
    }
    t
}

fn meta() -> ReportMeta {
    ReportMeta {
        title: "<b>report</b>".into(),
        subject: "go run main.go".into(),
        profile_type: "process_cpu:cpu:nanoseconds:cpu:nanoseconds".into(),
        unit: "nanoseconds".into(),
        duration_nanos: 10_000_000_000,
        sample_rate: 100,
        date: "2024-03-01T00:00:00Z".into(),
    }
}

fn data_of(html: &str) -> &str {
    let start = html.find("id=\"kiln-data\">").unwrap() + "id=\"kiln-data\">".len();
    &html[start..start + html[start..].find("</script>").unwrap()]
}

#[test]
fn single_report_embeds_names_and_levels_escaped() {
    let t = tree(&[(&["main", "</script><script>alert(1)</script>"], 5), (&["main", "a&b"], 3)]);
    let html = single_html(&meta(), &flame_graph(&t, 0));
    let data = data_of(&html);
    assert!(!data.contains('<') && !data.contains('>') && !data.contains('&'));
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["format"], "single");
    assert_eq!(v["total"], 8);
    let names: Vec<&str> = v["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(names.contains(&"</script><script>alert(1)</script>") && names.contains(&"a&b"));
    assert_eq!(v["levels"].as_array().unwrap().len(), 3);
    assert_eq!(v["meta"]["sampleRate"], 100);
    assert_eq!(html.matches("<script").count(), 2, "only the data and the app");
    assert!(html.contains("<title>&lt;b&gt;report&lt;/b&gt;</title>"));
}

#[test]
fn report_fetches_nothing_and_inlines_every_asset() {
    let html = single_html(&meta(), &flame_graph(&tree(&[(&["main"], 1)]), 0));
    assert!(!html.contains("http://") && !html.contains("https://"), "no URL in the report");
    assert!(!html.contains(" src=") && !html.contains("<link"), "no external script, style or image");
    assert!(html.contains("default-src 'none'"), "a CSP forbids any fetch");
    for (name, source) in assets() {
        let probe = source.lines().find(|l| l.len() > 20 && !l.starts_with("import ") && !l.starts_with("export "));
        assert!(html.contains(probe.unwrap()), "{name} is not inlined");
    }
    assert!(!html.contains("\nimport ") && !html.contains("\nexport "), "module syntax was stripped");
}

#[test]
fn diff_report_embeds_both_sides() {
    let left = tree(&[(&["main", "slow"], 10), (&["main", "fast"], 10)]);
    let right = tree(&[(&["main", "slow"], 30), (&["main", "fast"], 2)]);
    let html = diff_html(&meta(), &flame_graph_diff(&left, &right, 0).unwrap());
    let v: serde_json::Value = serde_json::from_str(data_of(&html)).unwrap();
    assert_eq!(v["format"], "double");
    assert_eq!((v["leftTicks"].as_i64(), v["rightTicks"].as_i64()), (Some(20), Some(32)));
    assert_eq!(v["levels"][1].as_array().unwrap().len(), 7, "7-tuple levels");
}
