//! gRPC on the HTTP port: an HTTP/2 client with prior knowledge (h2c, no
//! TLS), as gRPC clients of the Push API connect.

mod common;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_over_grpc_h2c_on_the_same_port() {
    let dir = tempfile::tempdir().unwrap();
    let running = common::start_on_loopback(dir.path()).await;
    let stream = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    let (mut client, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    use kiln_api::pb::push::*;
    let msg = PushRequest {
        series: vec![RawProfileSeries {
            labels: vec![
                LabelPair { name: "__name__".into(), value: "process_cpu".into() },
                LabelPair { name: "service_name".into(), value: "grpc-app".into() },
            ],
            samples: vec![RawSample { raw_profile: GO_CPU.to_vec(), id: String::new() }],
        }],
    }
    .encode_to_vec();
    let mut body = vec![0u8];
    body.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    body.extend_from_slice(&msg);
    let req = hyper::Request::post(format!("http://{}/push.v1.PusherService/Push", running.addr))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = client.send_request(req).await.unwrap();
    assert_eq!(resp.version(), hyper::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let collected = resp.into_body().collect().await.unwrap();
    assert_eq!(collected.trailers().unwrap().get("grpc-status").unwrap(), "0");
    drop(client);
    running.shutdown().await.unwrap();
}
