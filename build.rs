// The frozen Python modules under pylib/ are compiled into the binary by a macro, which cargo
// does not know depends on them.
fn main() {
    println!("cargo:rerun-if-changed=pylib");
}
