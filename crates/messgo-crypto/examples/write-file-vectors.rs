//! Regenerates `vectors/messgo-file-v1.json` after a deliberate change to the
//! attachments' format: `cargo run -p messgo-crypto --example write-file-vectors`.

fn main() -> std::io::Result<()> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../vectors/messgo-file-v1.json"
    );
    let mut text = serde_json::to_string_pretty(&messgo_crypto::file_vectors::generate())?;
    text.push('\n');
    std::fs::write(path, text)?;
    println!("wrote {path}");
    Ok(())
}
