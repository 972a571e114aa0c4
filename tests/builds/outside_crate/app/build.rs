fn main() {
    loadlib::build::Server32::new("outside_server")
        .manifest_path("../server/Cargo.toml")
        .build_or_panic();
}
