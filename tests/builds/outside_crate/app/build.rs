fn main() {
    loadlib::build::ServerBuild::new("outside_server")
        .manifest_path("../server/Cargo.toml")
        .build_or_panic();
}
