"""Image decoding, normalising and previews (Pillow; HEIC through pillow-heif, loaded on first use)."""
