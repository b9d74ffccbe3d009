"""The core's messages in the window's words.

The engine, the datasets and the run folders say how to fix a problem in terms of
`dcgan-studio train`'s flags (``--data-root``, ``--lr-g``, ``--precision fp32``), since the command
line shows the same messages. In the window a person has no flags: there the message names the
control instead, with the label the Training dock gives it ("Precision" fp32), or the button of
the Data panel. One table for every flag: the command line's own ``FLAGS`` and the controls'
``FIELDS`` labels.
"""

from __future__ import annotations

import re

from dcgan_studio.cli import FLAGS
from dcgan_studio.gui.fields import FIELDS

# phrases that speak of both front ends, or of what only the Data panel does
PHRASES = (
    ("with --data-root or the window's folder picker", "with Data root… in the Data panel"),
    ("(--dataset folder:PATH)", "(Folder… in the Data panel)"),
    ("use --dataset folder:PATH with", "choose with Folder… in the Data panel"),
    ("--dataset folder:/path/to/images", "Folder… in the Data panel"),
    ("--data-root", "Data root… in the Data panel"),
    ("--download", "Download if missing in the Data panel"),
)


def _flag_names() -> list[tuple[re.Pattern, str]]:
    rules = []
    for field, (flag, _) in FLAGS.items():
        if field in FIELDS:
            rules.append((re.compile(re.escape(flag) + r"(?![\w-])"), f"“{FIELDS[field][0]}”"))
    return sorted(rules, key=lambda rule: -len(rule[0].pattern))  # --lr-g before --lr


RULES = _flag_names()
RESUME = re.compile(r"\(--resume [^)]*\)")  # "continue the run (--resume R)"


def in_window_words(text: str) -> str:
    """``text`` with each command-line flag that has a control named by that control."""
    for cli, window in PHRASES:
        text = text.replace(cli, window)
    text = RESUME.sub("(Resume, or Start once it has stopped)", text)
    for pattern, label in RULES:
        text = pattern.sub(label, text)
    return text
