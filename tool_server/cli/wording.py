"""Tool messages reworded for the person at the terminal.

The tools speak to the coach LLM ("guide the user to ...", "a preview is attached", tool names);
the CLI calls the same tools, so before printing one of their messages it rewrites those phrases:
the person is "you", tool names become the commands that call them, and what only makes sense in
a chat (attached previews, what to tell the user) is dropped. `--json` output stays the tool's own.
"""

from __future__ import annotations

import re

# The command that calls each tool (the CLI's own names, as `coach-image-tools --help` lists them).
COMMANDS = {
    "add_reference_photo": "photos add",
    "list_reference_photos": "photos list",
    "remove_reference_photo": "photos remove",
    "set_body_profile": "profile set",
    "save_identity": "identities save",
    "list_identities": "identities list",
    "generate_identity_image": "generate",
    "accept_identity_visualization": "accept",
    "generate_avatar": "avatar",
    "approve_avatar": "avatar approve",
    "face_swap": "swap",
    "get_run": "runs show",
    "dog_avatar": "dog pregenerate",
}

# Whole sentences that only make sense inside a chat with the coach, replaced (or dropped: "").
_SENTENCES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), r)
    for p, r in [
        (r";\s*its (?:headshot )?preview is attached\.", "."),
        (r"\s*\b(?:A|Its|The) (?:\w+ )?previews? (?:is |are )?attached\b[^.]*\.", ""),
        (
            r"Describe the scene to the user, and accept it with (\S+) if they like it\.",
            r"If you like it, accept it with \1.",
        ),
        (
            r"Show the user, and when they are happy call (\S+) with the avatar_id they chose\.",
            r"Approve the one you like with \1.",
        ),
        (r"Do NOT present it as the user\.", "It does not look enough like you."),
        (
            r"Show it as a draft, or call again with regenerate=true\.",
            "Use it as a draft, or make it again with --regenerate.",
        ),
        (
            r"Ask the user, in a respectful way, and call (\S+) again with their answers\.",
            r"Set them with \1.",
        ),
        (r"Tell the user, and ", ""),
        (
            r"Offer to regenerate \(perhaps another strategy\)",
            "Generate again (perhaps with another strategy)",
        ),
    ]
]

# Phrases inside sentences, most specific first.
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"\b[Gg]uide the user to (\w)", r"\1"),
        (r"\b[Aa]sk the user to (\w)", r"\1"),
        (r"\b[Aa]sk the user for (a|an|the|clearer|another|more) ", r"Use \1 "),
        (r"\b[Aa]sk (?:the user )?for clearer\b", "add clearer"),
        (r"\b[Aa]sk the coach for\b", "Ask for"),
        (r"\bThe user already has\b", "You already have"),
        (r"\bthe user already has\b", "you already have"),
        (r"\b[Tt]he user has\b", "you have"),
        (r"\bthe user's\b", "your"),
        (r"\bThe user's\b", "Your"),
        (r"\bthe user\b", "you"),
        (r"\bThe user\b", "You"),
        (r"\btheir face\b", "your face"),
        (r"\bof theirs\b", "of yours"),
        (r"\bif they like\b", "if you like"),
        (r"\bthe coach\b", "you"),
    ]
]
_TOOL_NAME = re.compile(r"\b(" + "|".join(sorted(COMMANDS, key=len, reverse=True)) + r")\b(?:\(\w*\))?")


def for_person(text: str, program: str = "coach-image-tools") -> str:
    """`text` (a tool's message or error) as the CLI prints it to the person at the terminal."""
    for pattern, replacement in _SENTENCES:
        text = pattern.sub(replacement, text)
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    text = _TOOL_NAME.sub(lambda m: f"`{program} {COMMANDS[m.group(1)]}`", text)
    text = re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return re.sub(r"\s{2,}", " ", text).strip()
