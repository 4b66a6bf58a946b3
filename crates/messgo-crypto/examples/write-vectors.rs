//! Regenerates `vectors/messgo-v1.json` after a deliberate protocol change:
//! `cargo run -p messgo-crypto --example write-vectors`.

fn main() -> std::io::Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors/messgo-v1.json");
    let mut text = serde_json::to_string_pretty(&messgo_crypto::vectors::generate())?;
    text.push('\n');
    std::fs::write(path, text)?;
    println!("wrote {path}");
    Ok(())
}
