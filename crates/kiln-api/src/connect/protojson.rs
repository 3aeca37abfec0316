//! Protojson, as Connect's JSON codec speaks it: generic over the API's
//! descriptors, so every message follows the same rules. Responses use
//! lowerCamel JSON names (`maxSelf`, `labelsSet`, `ID`), 64-bit integers
//! as strings, enum names, base64 bytes, and leave out default values.
//! Requests accept proto and JSON names, enum names or numbers, integers
//! as numbers or strings, and ignore unknown fields.

use std::io;
use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::ser::{CompactFormatter, Formatter};

use crate::error::{ApiError, ApiErrorKind};

/// Every message of `proto/` and the kiln-model protos they import.
pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(&include_bytes!(concat!(env!("OUT_DIR"), "/kiln_api_descriptors.bin"))[..])
            .expect("descriptors compiled by build.rs")
    })
}

/// A JSON request body as the binary encoding of `desc`. An empty body is
/// the empty message.
pub fn json_to_proto(desc: &MessageDescriptor, json: &[u8]) -> Result<Vec<u8>, ApiError> {
    let bad = |e: &dyn std::fmt::Display| ApiError::invalid("protojson", format!("{} JSON: {e}", desc.name()));
    if json.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let msg = DynamicMessage::deserialize_with_options(desc.clone(), &mut de, &options).map_err(|e| bad(&e))?;
    de.end().map_err(|e| bad(&e))?;
    Ok(msg.encode_to_vec())
}

/// The binary encoding of a `desc` message as protojson, fields in field
/// number order as Go writes them.
pub fn proto_to_json(desc: &MessageDescriptor, bytes: &[u8]) -> Result<Vec<u8>, ApiError> {
    let internal = |e: &dyn std::fmt::Display| {
        ApiError::new(ApiErrorKind::Internal, "protojson", format!("encoding {} as JSON: {e}", desc.name()))
    };
    let msg = DynamicMessage::decode(desc.clone(), bytes).map_err(|e| internal(&e))?;
    let mut out = serde_json::Serializer::with_formatter(Vec::new(), GoFloats);
    msg.serialize_with_options(&mut out, &SerializeOptions::new()).map_err(|e| internal(&e))?;
    Ok(out.into_inner())
}

/// Compact JSON, but a whole double is written without a fraction (`100`,
/// not `100.0`), as Go's protojson writes it.
struct GoFloats;

impl Formatter for GoFloats {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
            let sign = if value.is_sign_negative() && value == 0.0 { "-" } else { "" };
            write!(w, "{sign}{}", value as i64)
        } else {
            CompactFormatter.write_f64(w, value)
        }
    }
}
