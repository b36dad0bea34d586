"""Dog avatars: one canonical monoline dog, twenty job accessories, cached and validated.

`service.DogAvatarService` is the entry point; `jobs`, `base_image`, `validation`, `cache`,
`singleflight` and `background_removal` are its parts. Nothing heavy happens at import.
"""
