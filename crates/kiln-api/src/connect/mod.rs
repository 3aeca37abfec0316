//! The Connect protocol as Kiln serves it: protojson, gRPC framing, and
//! serving one method of a service in whichever codec the request came in.

pub(crate) mod grpc;
pub(crate) mod protojson;
mod serve;

pub use serve::{serve_method, unimplemented, UNOFFERED};
