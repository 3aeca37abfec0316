//! Compiles Kiln's own `.proto` files with `protox` (pure Rust), so no
//! `protoc` binary is needed to build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/pprof.proto",
        "proto/flamegraph.proto",
        "proto/jfr_labels.proto",
        "proto/otlp/profiles_v1development.proto",
    ];
    for p in protos {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(protos, ["proto"])?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
