"""Resources the coach reads as context: the user's photo URL, body profile, identities, images."""
