//! Compiles the API's `.proto` files with `protox` (no `protoc` needed).
//! The querier protos import kiln-model's flame graph and pprof messages,
//! which are reused from `kiln_model::pb` rather than generated again. The
//! whole descriptor set is also written out for the protojson layer.

use prost::Message;
use prost_types::field_descriptor_proto::Type;
use prost_types::FileDescriptorSet;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/push.proto", "proto/types.proto", "proto/querier.proto", "proto/adhocprofiles.proto"];
    for p in protos {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-changed=../kiln-model/proto");
    let mut compiler = protox::Compiler::new(["proto", "../kiln-model/proto"])?;
    compiler.include_imports(true).open_files(protos)?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let fds = compiler.file_descriptor_set();
    std::fs::write(out.join("kiln_api_descriptors.bin"), json_descriptors(fds.clone()).encode_to_vec())?;
    prost_build::Config::new()
        .extern_path(".querier.v1.FlameGraph", "::kiln_model::pb::querier::v1::FlameGraph")
        .extern_path(".querier.v1.FlameGraphDiff", "::kiln_model::pb::querier::v1::FlameGraphDiff")
        .extern_path(".querier.v1.Level", "::kiln_model::pb::querier::v1::Level")
        .extern_path(".google.v1", "::kiln_model::pb::google::v1")
        .compile_fds(fds)?;
    Ok(())
}

/// The descriptors as protojson must see them: kiln-model reads pprof's
/// `string_table` as `bytes` (tolerating symbols that are not UTF-8), but
/// on the wire and in Pyroscope's JSON it is `repeated string`.
fn json_descriptors(mut fds: FileDescriptorSet) -> FileDescriptorSet {
    let profiles = fds.file.iter_mut().filter(|f| f.package() == "google.v1").flat_map(|f| f.message_type.iter_mut());
    for field in profiles.filter(|m| m.name() == "Profile").flat_map(|m| m.field.iter_mut()) {
        if field.name() == "string_table" {
            field.set_type(Type::String);
        }
    }
    fds
}
