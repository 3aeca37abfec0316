//! folded, lines, and Pyroscope's binary tree and trie ingest bodies.

use kiln_model::{folded, gzip, lines, tree_format, trie, ErrorKind, Position, Tree};
use proptest::prelude::*;

fn tree_of(stacks: &[(Vec<String>, i64)]) -> Tree {
    let mut t = Tree::new();
    for (s, v) in stacks {
        t.insert_stack(s, *v);
    }
    t
}

fn stacks() -> impl Strategy<Value = Vec<(Vec<String>, i64)>> {
    let frame = "[a-z]{1,3}|other|[A-Za-z_.:<>]{1,12}";
    prop::collection::vec((prop::collection::vec(frame, 1..8), 1i64..1_000_000), 1..40)
}

#[test]
fn folded_sums_identical_stacks_and_keeps_spaces_in_frames() {
    let p = folded::decode(b"main;foo (a.py:1) 3\nmain;foo (a.py:1) 2\nmain;bar 1\n\n").unwrap();
    let m = Tree::from_profile(&p, 0).folded_map();
    assert_eq!(m["main;foo (a.py:1)"], 5);
    assert_eq!(m["main;bar"], 1);
}

#[test]
fn folded_error_names_the_line() {
    let e = folded::decode(b"a;b 1\na;b x\n").unwrap_err();
    assert_eq!((e.format, e.position), ("folded", Position::Line(2)));
    let e = folded::decode(b"a;b 1\r\nnocount\r\n").unwrap_err();
    assert_eq!(e.position, Position::Line(2));
    assert!(e.to_string().contains("folded at line 2"), "{e}");
}

#[test]
fn folded_accepts_gzip_and_refuses_a_bomb() {
    let p = folded::decode(&gzip::gzip(b"a;b 7\n")).unwrap();
    assert_eq!(p.totals(), vec![7]);
    let bomb = gzip::gzip(&vec![b' '; 1 << 20]);
    let e = gzip::gunzip("folded", &bomb, 1 << 10).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge);
}

#[test]
fn lines_counts_identical_lines() {
    let p = lines::decode(b"a;b;c\na;b;c\na;d\n").unwrap();
    let m = Tree::from_profile(&p, 0).folded_map();
    assert_eq!((m["a;b;c"], m["a;d"]), (2, 1));
}

#[test]
fn tree_bytes_are_pyroscopes_layout() {
    // root(""; self 0; 1 child) -> a(self 0; 1 child) -> b(self 3; 0 children)
    let t = tree_of(&[(vec!["a".into(), "b".into()], 3)]);
    assert_eq!(tree_format::encode(&t, 0), vec![0, 0, 1, 1, b'a', 0, 1, 1, b'b', 3, 0]);
}

#[test]
fn tree_encode_folds_below_max_nodes_into_other() {
    let t = tree_of(&[(vec!["a".into(), "big".into()], 10), (vec!["a".into(), "small".into()], 1)]);
    let back = tree_format::decode_tree(&tree_format::encode(&t, 2)).unwrap();
    let m = back.folded_map();
    assert_eq!((m["a;big"], m["a;other"]), (10, 1));
    assert!(!m.contains_key("a;small"));
}

#[test]
fn tree_decode_reports_truncation_with_offset() {
    let t = tree_of(&[(vec!["main".into(), "work".into()], 5)]);
    let bytes = tree_format::encode(&t, 0);
    for cut in 1..bytes.len() {
        let e = tree_format::decode_tree(&bytes[..cut]).unwrap_err();
        assert_eq!(e.format, "tree");
        assert!(matches!(e.position, Position::Byte(_)), "{e}");
    }
    assert!(tree_format::decode_tree(&[bytes.as_slice(), &[0]].concat()).is_err());
}

#[test]
fn trie_decodes_a_hand_written_body() {
    // root "" -> "a;" (0) -> { "b" (2), "c" (3) }
    let body = [0u8, 0, 1, 2, b'a', b';', 0, 2, 1, b'b', 2, 0, 1, b'c', 3, 0];
    let m = Tree::from_profile(&trie::decode(&body).unwrap(), 0).folded_map();
    assert_eq!((m["a;b"], m["a;c"]), (2, 3));
}

#[test]
fn trie_refuses_huge_fragment_lengths_without_allocating() {
    let e = trie::decode(&[0xff, 0xff, 0xff, 0xff, 0x0f, b'a']).unwrap_err();
    assert_eq!(e.format, "trie");
    assert!(e.message.contains("past the end"), "{e}");
}

#[test]
fn a_frame_with_a_semicolon_does_not_break_trie_encoding() {
    let t = tree_of(&[(vec!["a;b".into()], 1), (vec!["a".into(), "b".into()], 2)]);
    let m = Tree::from_profile(&trie::decode(&trie::encode(&t)).unwrap(), 0).folded_map();
    assert_eq!(m["a;b"], 3);
}

proptest! {
    #[test]
    fn folded_round_trips_through_the_tree(s in stacks()) {
        let t = tree_of(&s);
        let p = folded::decode(folded::encode_tree(&t).as_bytes()).unwrap();
        prop_assert_eq!(Tree::from_profile(&p, 0).folded_map(), t.folded_map());
    }

    #[test]
    fn tree_format_round_trips_every_stack(s in stacks()) {
        let t = tree_of(&s);
        let back = tree_format::decode_tree(&tree_format::encode(&t, 0)).unwrap();
        prop_assert_eq!(back.folded_map(), t.folded_map());
    }

    #[test]
    fn trie_round_trips_every_stack(s in stacks()) {
        let t = tree_of(&s);
        let back = Tree::from_profile(&trie::decode(&trie::encode(&t)).unwrap(), 0);
        prop_assert_eq!(back.folded_map(), t.folded_map());
    }

    #[test]
    fn tree_truncation_keeps_the_total(s in stacks(), max_nodes in 1i64..20) {
        let t = tree_of(&s);
        let back = tree_format::decode_tree(&tree_format::encode(&t, max_nodes)).unwrap();
        prop_assert_eq!(back.total(), t.total());
    }

    #[test]
    fn binary_decoders_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = tree_format::decode_tree(&data);
        let _ = trie::decode(&data);
        let _ = folded::decode(&data);
        let _ = lines::decode(&data);
    }
}
