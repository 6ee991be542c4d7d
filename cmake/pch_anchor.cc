// Anchor translation unit that owns the shared torch precompiled header.
