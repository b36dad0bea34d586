"""The version of the dog avatar prompt: part of every cache key.

Bump it whenever prefix.txt, retry_addition.txt, white_background.txt or an accessory in
tool_server/dogs/jobs.toml changes, so avatars made from the old text are generated again.
"""

PROMPT_VERSION = "dog-v2"
