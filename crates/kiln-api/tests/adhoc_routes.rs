//! The adhoc routes through `router(state)` with `oneshot` and an
//! in-memory adhoc store: `adhocprofiles.v1.AdHocProfileService` over
//! Connect JSON, proto and gRPC, v0's `/api/adhoc/v1/...`, uploads, ids
//! that try to leave the directory, unknown ids and corrupt files. Flame
//! graphs are checked against the call trees of the files themselves.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use kiln_api::pb::adhocprofiles::v1 as a;
use kiln_api::{display_name, router, AdhocFile, AdhocStore, Answer, ApiError, ApiErrorKind, ApiState};
use kiln_model::flamebearer::{self, FlamebearerProfile};
use kiln_model::flamegraph::tree_from_levels;
use kiln_model::{pprof, Tree};
use prost::Message;
use tower::ServiceExt;

use common::NoIngest;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const CPU_ID: &str = "myapp-2026-01-02-03-04-05.pb.gz";
/// 2026-01-02T03:04:05Z, when `CPU_ID` was saved.
const CPU_AT_MS: i64 = 1_767_323_045_000;
const LEFT: &str = "main;parse 10\nmain;render 5\n";
const RIGHT: &str = "main;parse 3\nmain;idle 7\n";

/// Files by id; saves are stamped at `SAVED_AT_MS`.
#[derive(Default)]
struct Memory(Mutex<BTreeMap<String, (AdhocFile, Vec<u8>)>>);

const SAVED_AT_MS: i64 = 1_700_000_000_000;

impl Memory {
    fn put(&self, id: &str, at_ms: i64, data: &[u8]) {
        let file = AdhocFile { id: id.into(), name: display_name(id).into(), uploaded_at_ms: at_ms };
        self.0.lock().unwrap().insert(id.into(), (file, data.to_vec()));
    }
}

impl AdhocStore for Memory {
    fn list<'a>(&'a self, _tenant: &'a str) -> Answer<'a, Vec<AdhocFile>> {
        let files = self.0.lock().unwrap().values().map(|f| f.0.clone()).collect();
        Box::pin(async move { Ok(files) })
    }
    fn read<'a>(&'a self, _tenant: &'a str, id: &'a str) -> Answer<'a, (AdhocFile, Vec<u8>)> {
        let found = self.0.lock().unwrap().get(id).cloned();
        Box::pin(async move { found.ok_or_else(|| ApiError::new(ApiErrorKind::NotFound, "adhoc_id", "not found")) })
    }
    fn save<'a>(&'a self, _tenant: &'a str, stem: &'a str, extension: &'a str, data: Vec<u8>) -> Answer<'a, AdhocFile> {
        let id = format!("{stem}.{extension}");
        self.put(&id, SAVED_AT_MS, &data);
        let file = self.0.lock().unwrap()[&id].0.clone();
        Box::pin(async move { Ok(file) })
    }
}

fn app() -> (axum::Router, Arc<Memory>) {
    let memory = Arc::new(Memory::default());
    memory.put(CPU_ID, CPU_AT_MS, GO_CPU);
    memory.put("left-2026-01-01-00-00-00.folded", CPU_AT_MS - 1000, LEFT.as_bytes());
    memory.put("right-2026-01-01-00-00-01.folded", CPU_AT_MS - 2000, RIGHT.as_bytes());
    memory.put("broken.pb.gz", CPU_AT_MS - 3000, &[0x1f, 0x8b, 0x08, 0, 1, 2, 3]);
    let mut state = ApiState::new(Arc::new(NoIngest));
    state.adhoc = Some(memory.clone());
    // 2026-11-23T06:19:37Z
    state.clock = Arc::new(|| 1_795_414_777_000_000_000);
    (router(state), memory)
}

struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn send(app: &axum::Router, req: Request<Body>) -> Reply {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    Reply { status, body: resp.into_body().collect().await.unwrap().to_bytes().to_vec() }
}

async fn connect_json(app: &axum::Router, method: &str, body: serde_json::Value) -> Reply {
    let req = Request::post(format!("/adhocprofiles.v1.AdHocProfileService/{method}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(app, req).await
}

async fn get(app: &axum::Router, path: &str) -> Reply {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

/// The call tree of one sample type of the Go fixture, from its own bytes.
fn go_tree(sample_type: &str) -> Tree {
    let p = pprof::decode(GO_CPU).unwrap();
    Tree::from_profile(&p, p.sample_type_index(sample_type).unwrap())
}

/// The tree a `single` flamebearer JSON was drawn from.
fn tree_of(json: &str) -> (FlamebearerProfile, Tree) {
    let fb = flamebearer::from_json(json.as_bytes()).unwrap();
    let tree = tree_from_levels(&fb.flamebearer.names, &fb.flamebearer.levels, 4).unwrap();
    (fb, tree)
}

#[tokio::test]
async fn list_answers_every_file_newest_first_with_names_and_times() {
    let (app, _) = app();
    let r = connect_json(&app, "List", serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    let profiles = &r.json()["profiles"];
    let ids: Vec<&str> = profiles.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    let expected = [CPU_ID, "left-2026-01-01-00-00-00.folded", "right-2026-01-01-00-00-01.folded", "broken.pb.gz"];
    assert_eq!(ids, expected);
    assert_eq!(profiles[0]["name"], "myapp");
    assert_eq!(profiles[0]["uploadedAt"], CPU_AT_MS.to_string(), "int64 as a JSON string");
}

#[tokio::test]
async fn get_renders_the_default_type_and_any_other_asked_for() {
    let (app, _) = app();
    let r = connect_json(&app, "Get", serde_json::json!({"id": CPU_ID})).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["profileTypes"], serde_json::json!(["samples", "cpu"]));
    assert_eq!((&body["profileType"], &body["name"]), (&"cpu".into(), &"myapp".into()));
    let (whole, tree) = tree_of(body["flamebearerProfile"].as_str().unwrap());
    let expected = go_tree("cpu");
    assert_eq!(tree.folded_map(), expected.folded_map(), "every stack and value of the file");
    assert_eq!(whole.flamebearer.num_ticks, expected.total());
    assert_eq!((whole.metadata.name.as_str(), whole.metadata.units.as_str()), ("cpu", "samples"));

    let r = connect_json(&app, "Get", serde_json::json!({"id": CPU_ID, "profileType": "samples"})).await;
    let (fb, tree) = tree_of(r.json()["flamebearerProfile"].as_str().unwrap());
    assert_eq!(tree.folded_map(), go_tree("samples").folded_map());
    assert_eq!(fb.metadata.units, "objects");

    let r = connect_json(&app, "Get", serde_json::json!({"id": CPU_ID, "maxNodes": 3})).await;
    let (fb, _) = tree_of(r.json()["flamebearerProfile"].as_str().unwrap());
    let names = &fb.flamebearer.names;
    assert!(names.len() < whole.flamebearer.names.len() && names.contains(&"other".to_owned()), "{names:?}");
    assert_eq!(fb.flamebearer.num_ticks, go_tree("cpu").total(), "truncation keeps the total");
}

#[tokio::test]
async fn connect_proto_answers_the_same_messages() {
    let (app, _) = app();
    let req = a::AdHocProfilesGetRequest { id: CPU_ID.into(), profile_type: None, max_nodes: None };
    let http = Request::post("/adhocprofiles.v1.AdHocProfileService/Get")
        .header("content-type", "application/proto")
        .body(Body::from(req.encode_to_vec()))
        .unwrap();
    let r = send(&app, http).await;
    assert_eq!(r.status, StatusCode::OK);
    let resp = a::AdHocProfilesGetResponse::decode(r.body.as_slice()).unwrap();
    assert_eq!((resp.id.as_str(), resp.uploaded_at, resp.profile_type.as_str()), (CPU_ID, CPU_AT_MS, "cpu"));
    assert_eq!(tree_of(&resp.flamebearer_profile).1.folded_map(), go_tree("cpu").folded_map());
}

#[tokio::test]
async fn diff_compares_two_files_of_a_common_type() {
    let (app, _) = app();
    let ids =
        serde_json::json!({"leftId": "left-2026-01-01-00-00-00.folded", "rightId": "right-2026-01-01-00-00-01.folded"});
    let r = connect_json(&app, "Diff", ids).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["profileTypes"], serde_json::json!(["samples"]));
    let fb = flamebearer::from_json(body["flamebearerProfile"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!((fb.metadata.format.as_str(), fb.left_ticks, fb.right_ticks), ("double", 15, 10));
    let names: BTreeSet<&str> = fb.flamebearer.names.iter().map(String::as_str).collect();
    assert_eq!(names, BTreeSet::from(["total", "main", "parse", "render", "idle"]));

    let mixed = serde_json::json!({"leftId": CPU_ID, "rightId": "right-2026-01-01-00-00-01.folded"});
    let r = connect_json(&app, "Diff", mixed.clone()).await;
    assert_eq!((r.status, &r.json()["code"]), (StatusCode::BAD_REQUEST, &"invalid_argument".into()));
    assert!(r.json()["message"].as_str().unwrap().contains("\"samples\""), "{}", r.json());
    let mut same_type = mixed;
    same_type["profileType"] = "samples".into();
    let r = connect_json(&app, "Diff", same_type).await;
    let fb = flamebearer::from_json(r.json()["flamebearerProfile"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!((fb.left_ticks as i64, fb.right_ticks), (go_tree("samples").total(), 10));
}

#[tokio::test]
async fn upload_detects_the_format_saves_it_and_answers_it_rendered() {
    let (app, memory) = app();
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let r =
        connect_json(&app, "Upload", serde_json::json!({"name": "my prof/../x.txt", "profile": b64(LEFT.as_bytes())}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let body = r.json();
    let id = "my_prof_.._x.txt-2026-11-23-06-19-37.folded";
    assert_eq!((&body["id"], &body["name"]), (&id.into(), &"my_prof_.._x.txt".into()));
    let (_, tree) = tree_of(body["flamebearerProfile"].as_str().unwrap());
    assert_eq!(tree.folded_map(), BTreeMap::from([("main;parse".into(), 10), ("main;render".into(), 5)]));
    assert_eq!(memory.0.lock().unwrap()[id].1, LEFT.as_bytes(), "the uploaded bytes are saved as they are");

    let r = connect_json(&app, "Upload", serde_json::json!({"name": ".hidden", "profile": b64(GO_CPU)})).await;
    assert_eq!(r.json()["id"], "_hidden-2026-11-23-06-19-37.pb.gz");
    assert_eq!(r.json()["profileTypes"], serde_json::json!(["samples", "cpu"]));
}

#[tokio::test]
async fn bad_uploads_are_invalid_arguments_that_say_why() {
    let (app, memory) = app();
    let cases = [("not base64!", "base64"), ("", "empty"), ("AAECAwQFBgc=", "profile")];
    for (profile, why) in cases {
        let r = connect_json(&app, "Upload", serde_json::json!({"name": "x", "profile": profile})).await;
        assert_eq!((r.status, &r.json()["code"]), (StatusCode::BAD_REQUEST, &"invalid_argument".into()), "{profile}");
        assert!(r.json()["message"].as_str().unwrap().contains(why), "{profile}: {}", r.json());
    }
    assert_eq!(memory.0.lock().unwrap().len(), 4, "nothing was saved");
}

#[tokio::test]
async fn unknown_ids_are_not_found_and_ids_cannot_leave_the_directory() {
    let (app, _) = app();
    let r = connect_json(&app, "Get", serde_json::json!({"id": "nope.pb.gz"})).await;
    assert_eq!((r.status, &r.json()["code"]), (StatusCode::NOT_FOUND, &"not_found".into()));
    for id in ["../store/x", "..", "a/b", ".hidden", "", "/etc/passwd", "a\\b"] {
        let r = connect_json(&app, "Get", serde_json::json!({"id": id})).await;
        assert_eq!((r.status, &r.json()["code"]), (StatusCode::BAD_REQUEST, &"invalid_argument".into()), "{id:?}");
    }
    let r = connect_json(&app, "Diff", serde_json::json!({"leftId": CPU_ID, "rightId": ".."})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, "/api/adhoc/v1/profile/..%2Fstore").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, "/api/adhoc/v1/profile/nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_corrupt_file_is_an_error_for_its_id_only() {
    let (app, _) = app();
    let r = connect_json(&app, "Get", serde_json::json!({"id": "broken.pb.gz"})).await;
    assert_eq!((r.status, &r.json()["code"]), (StatusCode::INTERNAL_SERVER_ERROR, &"internal".into()));
    assert!(
        r.json()["message"].as_str().unwrap().contains("adhoc profile broken.pb.gz cannot be read"),
        "{}",
        r.json()
    );
    assert_eq!(connect_json(&app, "List", serde_json::json!({})).await.status, StatusCode::OK);
    assert_eq!(connect_json(&app, "Get", serde_json::json!({"id": CPU_ID})).await.status, StatusCode::OK);
}

#[tokio::test]
async fn v0_routes_list_render_and_diff_the_same_files() {
    let (app, _) = app();
    let r = get(&app, "/api/adhoc/v1/profiles").await;
    assert_eq!(r.status, StatusCode::OK);
    let listed = r.json();
    assert_eq!(listed.as_object().unwrap().len(), 4);
    assert_eq!(listed[CPU_ID], serde_json::json!({"id": CPU_ID, "name": CPU_ID, "updatedAt": "2026-01-02T03:04:05Z"}));

    let r = get(&app, &format!("/api/adhoc/v1/profile/{CPU_ID}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let (fb, tree) = tree_of(std::str::from_utf8(&r.body).unwrap());
    assert_eq!((fb.metadata.name.as_str(), tree.folded_map()), ("cpu", go_tree("cpu").folded_map()));

    let r = get(&app, "/api/adhoc/v1/diff/left-2026-01-01-00-00-00.folded/right-2026-01-01-00-00-01.folded").await;
    let fb = flamebearer::from_json(&r.body).unwrap();
    assert_eq!((fb.metadata.format.as_str(), fb.left_ticks, fb.right_ticks), ("double", 15, 10));
}

#[tokio::test]
async fn without_a_store_the_service_is_unimplemented_and_v0_is_not_found() {
    let app = router(ApiState::new(Arc::new(NoIngest)));
    let r = connect_json(&app, "List", serde_json::json!({})).await;
    assert_eq!((r.status, &r.json()["code"]), (StatusCode::NOT_IMPLEMENTED, &"unimplemented".into()));
    assert_eq!(get(&app, "/api/adhoc/v1/profiles").await.status, StatusCode::NOT_FOUND);
}

#[test]
fn display_names_drop_the_timestamp_and_what_follows() {
    assert_eq!(display_name("app.wall-2026-01-02-03-04-05.pb.gz"), "app.wall");
    assert_eq!(display_name("a-b-2026-01-02-03-04-05-2.folded"), "a-b");
    assert_eq!(display_name("plain.pb.gz"), "plain.pb.gz");
    assert_eq!(display_name("-2026-01-02-03-04-05.pb.gz"), "-2026-01-02-03-04-05.pb.gz");
}
